using System.Net;
using Akka.Actor;
using Drover.Cluster.Tests.Support;
using Drover.Core.Pools;
using Drover.Core.Sessions;
using Drover.Node.Hosting;
using Drover.Node.Pools;
using Drover.Node.Sessions;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;

namespace Drover.Cluster.Tests.Sessions;

/// <summary>
/// One session, one backend, whichever node a request comes through. Backend b3 is drained (an
/// admin state applies on every node): no node proposes b3 for a new session any more, yet the
/// sessions already bound to it stay there through every node, which is the owner's doing, not
/// the consistent hash's.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class StickyAcrossNodesTests(StickyClusterFixture fixture, ITestOutputHelper output) : IClassFixture<StickyClusterFixture>
{
    private TestCluster Cluster => fixture.Cluster;

    private IEnumerable<DroverNode> Nodes => Cluster.Nodes;

    private static HttpClient Client(DroverNode node) => StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));

    private async Task DrainB3OnNode2Async(params string[] pools)
    {
        foreach (var pool in pools)
        {
            var handle = Cluster[1].Runtime.Pools[pool];
            var result = await handle.Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState("b3", AdminState.Drain), TimeSpan.FromSeconds(5));
            Assert.True(result.Ok, result.Message);
            // The admin state reaches the other nodes through DistributedData: wait until every node has it,
            // or a fast request through another node may still see b3 as ready (seen once in a full run).
            foreach (var node in Nodes)
                await Eventually.TrueAsync(async () => (await node.Runtime.Pools[pool].Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5)))
                    .Backends.Single(b => b.Id == "b3").Admin == "drain", TimeSpan.FromSeconds(10), $"b3 drains in pool {pool} on every node");
        }
    }

    [Fact]
    public async Task Header_keys_reach_the_same_backend_through_every_node()
    {
        var clients = Nodes.Select(Client).ToArray();
        var keys = Enumerable.Range(0, 30).Select(i => $"hdr-{i}").ToList();
        var bound = new Dictionary<string, string>();
        foreach (var (key, i) in keys.Select((k, i) => (k, i)))
            bound[key] = await StickyClients.BackendOfAsync(clients[i % 3], "/", ("X-User", key)); // first request through any node
        Assert.Contains("b3", bound.Values); // 30 keys hashed over three backends

        await DrainB3OnNode2Async("header"); // cluster-wide: new sessions avoid b3, existing ones keep it
        try
        {
            for (var round = 0; round < 2; round++)
                foreach (var client in clients)
                    foreach (var key in keys)
                        Assert.Equal(bound[key], await StickyClients.BackendOfAsync(client, "/", ("X-User", key)));
            foreach (var node in Nodes)
                foreach (var key in keys)
                    Assert.Equal(bound[key], await TestCluster.OwnerBindingAsync(node, "header", key));
            for (var i = 0; i < 10; i++)
                Assert.NotEqual("b3", await StickyClients.BackendOfAsync(clients[i % 3], "/", ("X-User", $"new-{i}")));
        }
        finally
        {
            var handle = Cluster[1].Runtime.Pools["header"];
            await handle.Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState("b3", AdminState.Ready), TimeSpan.FromSeconds(5));
        }
    }

    [Fact]
    public async Task Cookie_sessions_follow_the_cookie_through_every_node()
    {
        var clients = Nodes.Select(Client).ToArray();
        var sessions = new List<(string Cookie, string Backend)>();
        for (var i = 0; i < 9; i++)
        {
            var (backend, response) = await StickyClients.GetAsync(clients[i % 3], "/", ("X-Pool", "cookie"));
            using (response) sessions.Add((Assert.Single(response.Headers.GetValues("Set-Cookie")).Split(';')[0], backend));
        }
        Assert.Equal(3, sessions.Select(s => s.Backend).Distinct().Count());
        foreach (var client in clients)
            foreach (var (cookie, backend) in sessions)
                Assert.Equal(backend, await StickyClients.BackendOfAsync(client, "/", ("X-Pool", "cookie"), ("Cookie", cookie)));
        var codec = new SessionCookieCodec(StickyClusterFixture.Secret);
        foreach (var (cookie, backend) in sessions)
        {
            Assert.True(codec.TryDecode("cookie", cookie.AsSpan("DROVER=".Length), out var decoded));
            Assert.Equal(backend, await TestCluster.OwnerBindingAsync(Cluster[2], "cookie", decoded.SessionId));
        }
    }

    [Fact]
    public async Task Learned_cookies_reach_the_backend_that_set_them_through_every_node()
    {
        var clients = Nodes.Select(Client).ToArray();
        var learned = new Dictionary<string, string>();
        for (var i = 0; i < 5; i++)
            learned[$"v{i}"] = await StickyClients.BackendOfAsync(clients[0], $"/set-cookie/SID/v{i}", ("X-Pool", "learn"));
        Assert.Equal(3, learned.Values.Distinct().Count());
        foreach (var client in clients.Reverse())
            foreach (var (value, backend) in learned)
                Assert.Equal(backend, await StickyClients.BackendOfAsync(client, "/", ("X-Pool", "learn"), ("Cookie", $"SID={value}")));
    }

    [Fact]
    public async Task Client_addresses_reach_the_same_backend_through_every_node_over_http_and_tcp()
    {
        await DrainB3OnNode2Async("ip");
        var bound = new Dictionary<int, string>();
        for (var round = 0; round < 2; round++)
            foreach (var (node, n) in Nodes.Select((node, n) => (node, n)))
                for (var client = 10; client < 22; client++)
                {
                    var local = IPAddress.Parse($"127.0.0.{client}");
                    string backend;
                    if ((client + n + round) % 2 == 0)
                    {
                        using var http = StickyClients.From(local, node.Runtime.ListenerEndPoint("web"));
                        backend = await StickyClients.BackendOfAsync(http, "/", ("X-Pool", "ip"));
                    }
                    else backend = await StickyClients.TcpBackendOfAsync(node.Runtime.ListenerEndPoint("raw"), local);
                    if (!bound.TryAdd(client, backend)) Assert.Equal(bound[client], backend);
                }
        Assert.True(bound.Values.Distinct().Count() > 1);
    }

    [Fact]
    public async Task Concurrent_first_requests_through_different_nodes_bind_one_backend()
    {
        // Through the regions: three different proposals at once; the first to arrive wins for all.
        var regions = Nodes.Select(TestCluster.Region).ToArray();
        for (var i = 0; i < 40; i++)
        {
            var entityId = SessionKeys.EntityId("header", $"race-{i}");
            var answers = await Task.WhenAll(regions.Select((region, n) =>
                region.Ask<SessionProtocol.Binding>(new SessionProtocol.Resolve(entityId, $"b{n + 1}", 0), TimeSpan.FromSeconds(5))));
            Assert.Single(answers.Select(a => a.Backend).Distinct());
            Assert.NotNull(answers[0].Backend);
        }

        // Over HTTP: the first request of each key through all three nodes at once.
        await DrainB3OnNode2Async("header");
        var clients = Nodes.Select(Client).ToArray();
        for (var i = 0; i < 30; i++)
        {
            var key = $"burst-{i}";
            var backends = await Task.WhenAll(clients.SelectMany(c => new[] { c, c }).Select(c => StickyClients.BackendOfAsync(c, "/", ("X-User", key))));
            Assert.Single(backends.Distinct());
            Assert.Equal(backends[0], await TestCluster.OwnerBindingAsync(Cluster[0], "header", key));
        }
    }

    [Fact]
    public async Task Ten_thousand_sessions_cost_a_few_kilobytes_each()
    {
        const int count = 10_000;
        var regions = Nodes.Select(TestCluster.Region).ToArray();
        long before = Memory();
        var started = DateTime.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 64 }, async (i, _) =>
        {
            var answer = await regions[i % 3].Ask<SessionProtocol.Binding>(
                new SessionProtocol.Resolve(SessionKeys.EntityId("many", $"many-{i}"), $"b{i % 3 + 1}", 0), TimeSpan.FromSeconds(20));
            Assert.NotNull(answer.Backend);
        });
        var created = DateTime.UtcNow - started;
        var live = 0;
        foreach (var node in Nodes) live += (await TestCluster.EntitiesOnAsync(node)).Count(id => id.StartsWith("many:", StringComparison.Ordinal));
        try
        {
            await TestCluster.Eventually(() => Enumerable.Range(0, 3).All(n => CountStored(n, "many:") == count), TimeSpan.FromSeconds(60), "every binding in every replica");
        }
        finally
        {
            output.WriteLine($"created in {created.TotalSeconds:0.0}s; {live} owners alive; bindings in the replicas: {string.Join(", ", Enumerable.Range(0, 3).Select(n => CountStored(n, "many:")))}");
        }
        long after = Memory();
        output.WriteLine($"{count} new sessions through 3 nodes (64 at a time) in {created.TotalSeconds:0.0} s ({count / created.TotalSeconds:0}/s); " +
                         $"managed memory of the 3 in-process nodes +{(after - before) / 1024.0 / 1024.0:0.0} MiB = {(after - before) / (double)count:0} bytes a session " +
                         "(its owner entity and 3 replicas of its binding)");
        // A rebalance while the cluster is young may hand a few shards off (their sessions stay in the store, their owners start on next use).
        Assert.True(live >= count * 0.9, $"{live} of {count} owners alive");
        Assert.InRange((after - before) / (double)count, 0, 32 * 1024);
    }

    [Fact]
    public async Task Expired_sessions_leave_every_replica_and_their_owners_stop()
    {
        const int count = 600;
        var regions = Nodes.Select(TestCluster.Region).ToArray();
        var started = DateTime.UtcNow;
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (i, _) =>
            await regions[i % 3].Ask<SessionProtocol.Binding>(new SessionProtocol.Resolve(SessionKeys.EntityId("short", $"brief-{i}"), "b1", 0), TimeSpan.FromSeconds(20)));

        // ttl = 3s: each owner removes its binding (majority write) and passivates. The first ones may
        // be gone before the last are created, so what is checked is the peak, then zero.
        var peak = new int[3];
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (true)
        {
            var now = Enumerable.Range(0, 3).Select(n => CountStored(n, "short:")).ToArray();
            for (var n = 0; n < 3; n++) peak[n] = Math.Max(peak[n], now[n]);
            if ((peak.All(p => p >= count / 2) && now.All(c => c == 0)) || DateTime.UtcNow > deadline) break;
            await Task.Delay(100);
        }
        var gone = DateTime.UtcNow - started;
        var live = 0;
        foreach (var node in Nodes) live += (await TestCluster.EntitiesOnAsync(node)).Count(id => id.StartsWith("short:", StringComparison.Ordinal));
        var left = Enumerable.Range(0, 3).Select(n => CountStored(n, "short:")).ToArray();
        output.WriteLine($"{count} sessions with ttl 3s: at most {string.Join(", ", peak)} in the 3 replicas, {string.Join(", ", left)} left " +
                         $"{gone.TotalSeconds:0.0} s after the first was created; {live} owners still alive");
        Assert.All(peak, p => Assert.True(p >= count / 2, $"only {p} of {count} bindings ever in a replica"));
        Assert.All(left, l => Assert.Equal(0, l));
        Assert.Equal(0, live);
    }

    private int CountStored(int node, string prefix)
    {
        var store = Cluster[node].Runtime.Sessions!.Store;
        return Enumerable.Range(0, store.Keys.Length).Sum(i => store.LocalData(i)?.Entries.Keys.Count(k => k.StartsWith(prefix, StringComparison.Ordinal)) ?? 0);
    }

    private static long Memory()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }
}
