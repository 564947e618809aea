using System.Net;
using System.Text.Json;
using Akka.Actor;
using Drover.Core.Pools;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Admin;

/// <summary>The <c>/stats</c> page and the <c>/stats.json</c> it polls, on one node; the page as headless chromium renders it.</summary>
public sealed class StatsPageTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private static async Task<(Hosting.DroverNode Node, DemoBackends Backends)> StartAsync()
    {
        var backends = await DemoBackends.StartAsync(3);
        var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p {
                slow-start = 0s
                health { active { interval = 100ms, timeout = 500ms, rise = 1, fall = 1, jitter = 0% } }
                backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
              }
            }
            """);
        await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(node.System).SelfMember.Status == Akka.Cluster.MemberStatus.Up, Patience, "the member is up");
        return (node, backends);
    }

    /// <summary>b2 drained, b3 stopped (down), some traffic.</summary>
    private static async Task ShapeAsync(Hosting.DroverNode node, DemoBackends backends)
    {
        var pool = node.Runtime.Pools["p"];
        var result = await pool.Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState("b2", AdminState.Drain), TimeSpan.FromSeconds(5));
        Assert.True(result.Ok, result.Message);
        await backends.StopAsync("b3");
        await Eventually.TrueAsync(async () =>
            (await pool.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5))).Backends.Single(b => b.Id == "b3").Health == "down",
            Patience, "b3 is down");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        for (var i = 0; i < 10; i++)
        {
            using var response = await client.GetAsync($"/x{i}");
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        }
    }

    [Fact]
    public async Task Stats_json_shows_this_member_its_listeners_and_its_backends()
    {
        var (node, backends) = await StartAsync();
        await using var _ = backends;
        await using var __ = node;
        await ShapeAsync(node, backends);

        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://{node.Admin.EndPoint}/stats.json");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        var root = json.RootElement;
        var member = Assert.Single(root.GetProperty("members").EnumerateArray());
        Assert.Equal("up", member.GetProperty("status").GetString());
        Assert.True(member.GetProperty("isSelf").GetBoolean());
        var stats = member.GetProperty("stats");
        Assert.True(stats.GetProperty("ready").GetBoolean());
        Assert.Equal(node.Admin.EndPoint!.ToString(), stats.GetProperty("admin").GetString());
        Assert.Equal(["raw", "web"], stats.GetProperty("listeners").EnumerateArray().Select(l => l.GetProperty("name").GetString()).Order());
        var web = stats.GetProperty("listeners").EnumerateArray().Single(l => l.GetProperty("name").GetString() == "web");
        Assert.Equal(10, web.GetProperty("requests").GetInt64());
        var pool = Assert.Single(stats.GetProperty("pools").EnumerateArray());
        var rows = pool.GetProperty("backends").EnumerateArray().ToDictionary(b => b.GetProperty("id").GetString()!);
        Assert.Equal(("up", "drain"), (rows["b2"].GetProperty("health").GetString(), rows["b2"].GetProperty("admin").GetString()));
        Assert.Equal(("down", "ready"), (rows["b3"].GetProperty("health").GetString(), rows["b3"].GetProperty("admin").GetString()));
        Assert.Equal(10, rows["b1"].GetProperty("requests").GetInt64()); // the only backend taking traffic
        Assert.Equal(1, rows["b1"].GetProperty("weight").GetInt32());
        Assert.Equal(0, rows["b2"].GetProperty("weight").GetInt32());
    }

    [ChromiumFact]
    public async Task The_page_in_chromium_shows_the_node_and_each_backends_health_and_admin_state_and_keeps_refreshing()
    {
        var (node, backends) = await StartAsync();
        await using var _ = backends;
        await using var __ = node;
        await ShapeAsync(node, backends);

        var html = await HeadlessChromium.DumpDomAsync($"http://{node.Admin.EndPoint}/stats?interval=300", TimeSpan.FromSeconds(3));

        Assert.Contains("data-loaded=\"true\"", html);
        Assert.Equal("1", HeadlessChromium.Field(html, "node-count"));
        var polls = System.Text.RegularExpressions.Regex.Match(html, "data-polls=\"(\\d+)\"");
        Assert.True(polls.Success && int.Parse(polls.Groups[1].Value) >= 3, $"the page should poll again and again, polled {polls.Groups[1].Value}");

        string Cell(string backend, string field)
        {
            var row = Assert.Single(HeadlessChromium.Rows(html, ("data-pool", "p"), ("data-backend", backend)));
            return HeadlessChromium.Field(row, field) ?? throw new InvalidOperationException($"no {field} in the row of {backend}: {row}");
        }
        Assert.Equal(("up", "ready"), (Cell("b1", "health"), Cell("b1", "admin")));
        Assert.Equal(("up", "drain"), (Cell("b2", "health"), Cell("b2", "admin")));
        Assert.Equal(("down", "ready"), (Cell("b3", "health"), Cell("b3", "admin")));
        Assert.Equal("10", Cell("b1", "requests"));
        Assert.Equal("1 / 1", Cell("b1", "weight"));
        Assert.Single(HeadlessChromium.Rows(html, ("data-listener", "web")));
        Assert.Single(HeadlessChromium.Rows(html, ("data-listener", "raw")));
        var memberRow = Assert.Single(HeadlessChromium.Rows(html, ("data-node", Akka.Cluster.Cluster.Get(node.System).SelfAddress.ToString())),
            r => !r.Contains("data-backend") && !r.Contains("data-listener"));
        Assert.Equal(("up", "ready"), (HeadlessChromium.Field(memberRow, "status"), HeadlessChromium.Field(memberRow, "ready")));
    }
}
