using System.Net;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Drover.Core.Pools;
using Drover.Node.Hosting;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Admin;

/// <summary>
/// The stats page is the whole cluster's: the node serving it asks every member's
/// <c>/user/admin-stats</c> over remoting, and shows a member it cannot reach as such.
/// </summary>
public sealed class ClusterStatsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    // The split brain resolver would down (and remove) a crashed node after stable-after: keep it in view.
    private static readonly Dictionary<string, string> Quiet = new() { ["AKKA__CLUSTER__SPLIT_BRAIN_RESOLVER__STABLE_AFTER"] = "120s" };

    private static string Drover(DemoBackends backends) => $$"""
        drover {
          listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
          pools.p {
            slow-start = 0s
            backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
          }
        }
        """;

    /// <summary>a (the seed), b, and c, whose actor system can be terminated as a crash.</summary>
    private static async Task<List<DroverNode>> StartAsync(DemoBackends backends)
    {
        var nodes = new List<DroverNode>();
        try
        {
            nodes.Add(await TestNode.StartAsync(TestNode.Config(Drover(backends), Quiet)));
            var seed = Akka.Cluster.Cluster.Get(nodes[0].System).SelfAddress;
            var joining = new Dictionary<string, string>(Quiet) { ["CLUSTER_SEEDS"] = seed.ToString() };
            var crashable = new Dictionary<string, string>(joining) { ["AKKA__COORDINATED_SHUTDOWN__RUN_BY_ACTOR_SYSTEM_TERMINATE"] = "off" };
            nodes.AddRange(await Task.WhenAll(
                TestNode.StartAsync(TestNode.Config(Drover(backends), joining)),
                TestNode.StartAsync(TestNode.Config(Drover(backends), crashable))));
            foreach (var node in nodes)
                await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(node.System).State.Members.Count(m => m.Status == MemberStatus.Up) == 3, Patience, "three members up");
            return nodes;
        }
        catch
        {
            foreach (var node in nodes) await node.DisposeAsync();
            throw;
        }
    }

    private static async Task<JsonElement> StatsJsonAsync(DroverNode node)
    {
        using var client = new HttpClient();
        var text = await client.GetStringAsync($"http://{node.Admin.EndPoint}/stats.json");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    private static string Address(DroverNode node) => Akka.Cluster.Cluster.Get(node.System).SelfAddress.ToString();

    private static JsonElement Member(JsonElement stats, DroverNode node) =>
        stats.GetProperty("members").EnumerateArray().Single(m => m.GetProperty("address").GetString() == Address(node));

    [Fact]
    public async Task Any_node_shows_every_member_with_its_own_counters_and_a_crashed_one_as_unreachable()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        var nodes = await StartAsync(backends);
        var stopping = new List<Task>();
        try
        {
            var (a, b, c) = (nodes[0], nodes[1], nodes[2]);
            // Traffic through b only: a's page must show it on b's line, so it came from b.
            using (var client = new HttpClient { BaseAddress = new Uri($"http://{b.Runtime.ListenerEndPoint("web")}") })
                for (var i = 0; i < 6; i++)
                    using (var response = await client.GetAsync($"/x{i}"))
                        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

            var stats = await StatsJsonAsync(a);
            Assert.Equal(Address(a), stats.GetProperty("self").GetString());
            Assert.Equal(3, stats.GetProperty("members").GetArrayLength());
            foreach (var node in nodes)
            {
                var member = Member(stats, node);
                Assert.Equal("up", member.GetProperty("status").GetString());
                Assert.True(member.GetProperty("reachable").GetBoolean());
                Assert.Equal(node == a, member.GetProperty("isSelf").GetBoolean());
                var nodeStats = member.GetProperty("stats");
                Assert.Equal(Address(node), nodeStats.GetProperty("address").GetString());
                Assert.Equal(node.Admin.EndPoint!.ToString(), nodeStats.GetProperty("admin").GetString());
                var pool = Assert.Single(nodeStats.GetProperty("pools").EnumerateArray());
                var requests = pool.GetProperty("backends").EnumerateArray().Sum(x => x.GetProperty("requests").GetInt64());
                Assert.Equal(node == b ? 6 : 0, requests);
            }
            var metrics = await PrometheusText.ScrapeAsync(a.Admin.EndPoint!);
            Assert.Equal(3, metrics.Value("drover_cluster_members", ("status", "up")));

            // A crash: c is not asked any more once it is unreachable, and says why; the others still answer.
            await c.System.Terminate();
            nodes.Remove(c);
            stopping.Add(c.DisposeAsync().AsTask());
            JsonElement after = default;
            await Eventually.TrueAsync(async () =>
            {
                after = await StatsJsonAsync(a);
                return !Member(after, c).GetProperty("reachable").GetBoolean();
            }, Patience, "c shows as unreachable");
            var crashed = Member(after, c);
            Assert.Equal("unreachable", crashed.GetProperty("error").GetString());
            Assert.Equal(JsonValueKind.Null, crashed.GetProperty("stats").ValueKind);
            Assert.NotEqual(JsonValueKind.Null, Member(after, b).GetProperty("stats").ValueKind);
            Assert.Equal(1, (await PrometheusText.ScrapeAsync(a.Admin.EndPoint!)).Value("drover_cluster_unreachable_members"));

            // Down it, so that a and b can leave without waiting for it.
            Akka.Cluster.Cluster.Get(a.System).Down(Akka.Cluster.Cluster.Get(c.System).SelfAddress);
            await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(a.System).State.Members.Count == 2, Patience, "c is removed");
        }
        finally
        {
            foreach (var node in Enumerable.Reverse(nodes)) await node.DisposeAsync();
            await Task.WhenAll(stopping);
        }
    }

    [ChromiumFact]
    public async Task The_page_in_chromium_shows_three_nodes_and_a_cluster_wide_drain_on_each()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        var nodes = await StartAsync(backends);
        try
        {
            var a = nodes[0];
            var result = await a.Runtime.Pools["p"].Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState("b2", AdminState.Drain), TimeSpan.FromSeconds(5));
            Assert.True(result.Ok, result.Message);
            foreach (var node in nodes) // admin states are cluster-wide
                await Eventually.TrueAsync(async () => (await node.Runtime.Pools["p"].Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5)))
                    .Backends.Single(x => x.Id == "b2").Admin == "drain", Patience, "b2 drains on every node");

            // Served by b's endpoint this time: any node's page shows the whole cluster.
            var html = await HeadlessChromium.DumpDomAsync($"http://{nodes[1].Admin.EndPoint}/stats", TimeSpan.FromSeconds(3));

            Assert.Equal("3", HeadlessChromium.Field(html, "node-count"));
            foreach (var node in nodes)
            {
                var b1 = Assert.Single(HeadlessChromium.Rows(html, ("data-node", Address(node)), ("data-backend", "b1")));
                var b2 = Assert.Single(HeadlessChromium.Rows(html, ("data-node", Address(node)), ("data-backend", "b2")));
                Assert.Equal(("up", "ready"), (HeadlessChromium.Field(b1, "health"), HeadlessChromium.Field(b1, "admin")));
                Assert.Equal(("up", "drain"), (HeadlessChromium.Field(b2, "health"), HeadlessChromium.Field(b2, "admin")));
            }
        }
        finally
        {
            foreach (var node in Enumerable.Reverse(nodes)) await node.DisposeAsync();
        }
    }
}
