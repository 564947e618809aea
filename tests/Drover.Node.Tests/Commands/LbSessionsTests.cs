using Akka.Actor;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary><c>lb sessions</c> on a real node: the cache's bindings (bounded), one session from its owner, and the per-backend session gauge.</summary>
public sealed class LbSessionsTests
{
    [Fact]
    public async Task Lists_cached_sessions_bounded_asks_the_owner_for_one_and_counts_them_per_backend_in_metrics()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        var list = string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"));
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { path-prefix = "/q", pool = q }, { pool = p } ] }
              pools.p { slow-start = 0s, sticky { mode = "header:X-Session", ttl = 10m }, backends = [ {{list}} ] }
              pools.q { backends = [ {{list}} ] }
            }
            """);
        var cmd = node.Commands.EndPoint!;
        using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));

        // Shards are allocated on first use, which can take longer than a request waits for an owner
        // (it then binds provisionally): start every key's shard first.
        var region = node.Runtime.Sessions!.Region!;
        for (var i = 0; i < 105; i++)
            await region.Ask<Drover.Node.Sessions.SessionProtocol.SessionInfo>(
                new Drover.Node.Sessions.SessionProtocol.Describe(Drover.Core.Sessions.SessionKeys.EntityId("p", $"s{i:000}")), TimeSpan.FromSeconds(10));

        var bound = new Dictionary<string, string>();
        for (var i = 0; i < 105; i++)
        {
            var key = $"s{i:000}";
            bound[key] = await StickyClients.BackendOfAsync(client, "/", ("X-Session", key));
        }
        Assert.Equal(bound["s003"], await StickyClients.BackendOfAsync(client, "/", ("X-Session", "s003")));

        var lines = await CliRunner.LinesAsync(cmd, "lb sessions -p p");
        Assert.Equal(102, lines.Length);
        for (var i = 0; i < 100; i++)
        {
            var key = $"s{i:000}";
            Assert.Matches($@"^{key} \| {bound[key]} \| expires in (9m\d+s|10m)$", lines[i]);
        }
        Assert.Equal("... and 5 more", lines[100]);
        Assert.StartsWith("Count: 105 sessions in this node's cache (mode header:X-Session, ttl 10m;", lines[101]);

        var self = Akka.Cluster.Cluster.Get(node.System).SelfAddress.ToString();
        var one = await CliRunner.LinesAsync(cmd, "lb sessions -p p -k s003");
        Assert.Matches($@"^s003 \| {bound["s003"]} \| owner {System.Text.RegularExpressions.Regex.Escape(self)} \| last use [\d.]+m?s ago \| expires in (9m\d+s|10m)$", one.Single());
        var none = await CliRunner.LinesAsync(cmd, "lb sessions -p p -k nobody");
        Assert.Equal($"nobody | no session | owner {self}", none.Single());
        Assert.Equal("pool 'q' is not sticky (sticky = off): it keeps no sessions", (await CliRunner.LinesAsync(cmd, "lb sessions -p q")).Single());
        var unknown = await CliRunner.RunAsync(cmd, "lb sessions -p nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("drover: lb: unknown pool 'nope' (pools: p, q)\n", unknown.Error);

        // The per-backend gauge counts this node's cached bindings by backend: exactly the sessions made.
        var m = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal(105, m.Value("drover_pool_sessions", ("pool", "p")));
        foreach (var id in new[] { "b1", "b2" })
            Assert.Equal(bound.Values.Count(b => b == id), m.Value("drover_backend_sessions", ("pool", "p"), ("backend", id)));
        Assert.True(bound.Values.Distinct().Count() == 2, "the sessions spread over both backends");
        Assert.Equal(0, m.Value("drover_backend_sessions", ("pool", "q"), ("backend", "b1")));
    }
}
