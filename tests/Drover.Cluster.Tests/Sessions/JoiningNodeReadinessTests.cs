using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Drover.Cluster.Tests.Support;
using Drover.Core.Pools;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;
using static Drover.Cluster.Tests.Support.SessionTraffic;

namespace Drover.Cluster.Tests.Sessions;

/// <summary>
/// A node that joins (or rejoins after a restart) says ready only once its sticky sessions can
/// answer: its session region registered with the coordinator and its replica of the store read.
/// Before that fix it said ready as soon as it was Up, and sent sessions bound elsewhere to the
/// backend the key hashes to.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class JoiningNodeReadinessTests(ITestOutputHelper output)
{
    private static async Task SetEverywhereAsync(TestCluster cluster, string backend, AdminState state)
    {
        foreach (var node in cluster.Nodes)
        {
            var result = await node.Runtime.Pools[Pool].Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState(backend, state), TimeSpan.FromSeconds(5));
            Assert.True(result.Ok, result.Message);
        }
    }

    [Fact]
    public async Task A_joining_node_is_ready_only_when_owners_answer_and_then_serves_every_session_on_its_bound_backend()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        // Sharding's default retry (2 s, not the 200 ms of akka.hocon): a region that missed the
        // coordinator's first look at it registers only at its next retry, the window a rejoining
        // node fell into in the drills.
        await using var cluster = await TestCluster.StartAsync(2, StickyClusterFixture.Config(backends),
            timings: TestCluster.AkkaTimings + "\nakka.cluster.sharding.retry-interval = 2s");
        // Bind every session while b1 takes none, then return b1: about a third of the keys now hash
        // to b1 but are bound to b2 or b3, so a node that answered by hashing would be caught.
        await SetEverywhereAsync(cluster, "b1", AdminState.Maint);
        var sessions = await CreateAsync(cluster, lost: 1, count: 60);
        Assert.DoesNotContain(sessions, s => s.Backend == "b1");
        await SetEverywhereAsync(cluster, "b1", AdminState.Ready);

        var clock = Stopwatch.StartNew();
        var joiner = await cluster.AddNodeAsync();
        var admin = joiner.Admin.EndPoint!;
        var reasons = new List<string>();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            using var response = await http.GetAsync($"http://{admin}/readyz");
            var body = (await response.Content.ReadAsStringAsync()).Trim();
            if (reasons.Count == 0 || reasons[^1] != body) reasons.Add(body);
            if (response.StatusCode == HttpStatusCode.OK) break;
            Assert.True(DateTime.UtcNow < deadline, $"not ready within 60 s: {string.Join(" | ", reasons)}");
            await Task.Delay(20);
        }
        var ready = clock.Elapsed;

        // At once, every session through the new node.
        var seen = new ConcurrentDictionary<string, string>();
        using var client = StickyClients.Plain(joiner.Runtime.ListenerEndPoint("web"));
        await Parallel.ForEachAsync(sessions, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (session, _) =>
            seen[session.Key] = await StickyClients.BackendOfAsync(client, "/", ("X-User", session.Key)));
        var served = clock.Elapsed;

        output.WriteLine($"joining node: ready {ready.TotalSeconds:0.0} s after its start ({string.Join(" -> ", reasons)}); " +
                         $"then {sessions.Count} sessions through it in {(served - ready).TotalMilliseconds:0} ms, " +
                         $"{sessions.Count(s => seen[s.Key] != s.Backend)} on another backend than their binding");
        Assert.Contains(reasons, r => r.Contains("sticky sessions not ready", StringComparison.Ordinal));
        var regions = await TestCluster.Region(joiner).Ask<CurrentRegions>(GetCurrentRegions.Instance, TimeSpan.FromSeconds(5));
        Assert.Contains(Akka.Cluster.Cluster.Get(joiner.System).SelfAddress, regions.Regions);
        Assert.All(sessions, s => Assert.Equal(s.Backend, seen[s.Key]));
    }
}
