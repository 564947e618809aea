using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using Akka.Actor;
using Drover.Cluster.Tests.Support;
using Drover.Core.Sessions;
using Drover.Node.Hosting;
using Drover.Node.Sessions;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;

namespace Drover.Cluster.Tests.Sessions;

/// <summary>
/// Losing a node, by crash or by leaving: every session keeps its backend, and requests through the
/// surviving nodes see no errors while the lost node's shards move. Each run prints how long the
/// lost node's sessions went without an owner, and what the requests saw meanwhile.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeLossTests(ITestOutputHelper output)
{
    private const int Keys = 90;

    private sealed record Session(string Key, string Backend);

    /// <summary>Half the keys through the nodes that survive (so their caches know them), half only through the one that will be lost.</summary>
    private static async Task<List<Session>> CreateSessionsAsync(TestCluster cluster, int lost)
    {
        var sessions = new List<Session>();
        var survivors = Enumerable.Range(0, cluster.Nodes.Count).Where(n => n != lost).ToArray();
        for (var i = 0; i < Keys; i++)
        {
            var key = $"user-{i}";
            var via = i % 2 == 0 ? cluster[survivors[i % survivors.Length]] : cluster[lost];
            using var client = StickyClients.Plain(via.Runtime.ListenerEndPoint("web"));
            var backend = await StickyClients.BackendOfAsync(client, "/", ("X-User", key));
            Assert.StartsWith("b", backend);
            sessions.Add(new Session(key, backend));
        }
        // Written through: every binding is in a survivor's replica before anything is lost.
        var store = cluster[survivors[0]].Runtime.Sessions!.Store;
        foreach (var session in sessions)
        {
            var entityId = SessionKeys.EntityId("header", session.Key);
            await TestCluster.Eventually(() => store.ReadLocal(entityId)?.Backend == session.Backend,
                TimeSpan.FromSeconds(10), $"{entityId} replicated");
        }
        return sessions;
    }

    /// <summary>Requests for every key through the survivors until stopped: failures (non-200) and changes of backend.</summary>
    private sealed class Load(TestCluster cluster, IReadOnlyList<Session> sessions, int lost)
    {
        public readonly ConcurrentQueue<string> Failures = new();
        public readonly ConcurrentQueue<string> Moved = new();
        public int Sent;
        private readonly CancellationTokenSource _stop = new();
        private Task? _running;

        public void Start()
        {
            var survivors = cluster.Nodes.Where((_, n) => n != lost).Select(node => StickyClients.Plain(node.Runtime.ListenerEndPoint("web"))).ToArray();
            _running = Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; !_stop.IsCancellationRequested; i += 4)
                {
                    var session = sessions[i % sessions.Count];
                    Interlocked.Increment(ref Sent);
                    try
                    {
                        var (backend, response) = await StickyClients.GetAsync(survivors[i % survivors.Length], "/", ("X-User", session.Key));
                        using (response)
                        {
                            if (response.StatusCode != HttpStatusCode.OK) Failures.Enqueue($"{session.Key}: {(int)response.StatusCode}");
                            else if (backend != session.Backend) Moved.Enqueue($"{session.Key}: {session.Backend} -> {backend}");
                        }
                    }
                    catch (Exception ex) when (!_stop.IsCancellationRequested)
                    {
                        Failures.Enqueue($"{session.Key}: {ex.GetBaseException().Message}");
                    }
                }
            })));
        }

        public async Task StopAsync()
        {
            _stop.Cancel();
            await _running!;
        }
    }

    /// <summary>Until every session that lived on the lost node answers through <paramref name="via"/> again; returns the bindings.</summary>
    private static async Task<Dictionary<string, string?>> WaitForOwnersAsync(DroverNode via, IEnumerable<string> entityIds, TimeSpan timeout)
    {
        var pending = entityIds.ToHashSet();
        var answers = new Dictionary<string, string?>();
        var deadline = DateTime.UtcNow + timeout;
        while (pending.Count > 0)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{pending.Count} sessions still without an owner after {timeout}");
            var round = await Task.WhenAll(pending.Select(async id =>
            {
                try
                {
                    var binding = await TestCluster.Region(via).Ask<SessionProtocol.Binding>(new SessionProtocol.GetBinding(id), TimeSpan.FromMilliseconds(300));
                    return (id, Answered: true, binding.Backend);
                }
                catch (AskTimeoutException)
                {
                    return (id, Answered: false, (string?)null);
                }
            }));
            foreach (var (id, answered, backend) in round.Where(r => r.Answered))
            {
                answers[id] = backend;
                pending.Remove(id);
            }
            if (pending.Count > 0) await Task.Delay(100);
        }
        return answers;
    }

    [Fact]
    public async Task A_crashed_nodes_sessions_keep_their_backends_and_survivors_serve_every_request()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var cluster = await TestCluster.StartAsync(3, StickyClusterFixture.Config(backends));
        const int victim = 2;
        var sessions = await CreateSessionsAsync(cluster, victim);
        var owned = (await TestCluster.EntitiesOnAsync(cluster[victim])).Where(id => id.StartsWith("header:user-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(owned);

        var load = new Load(cluster, sessions, victim);
        load.Start();
        await Task.Delay(300);
        var crash = Stopwatch.StartNew();
        await cluster.CrashAsync(victim);
        var answers = await WaitForOwnersAsync(cluster[0], owned, TimeSpan.FromSeconds(40));
        var recovered = crash.Elapsed;
        await Task.Delay(1000); // and a little more traffic with the new owners
        await load.StopAsync();

        output.WriteLine($"crash of node 3 of 3 (timings: heartbeat 300 ms, acceptable pause 1 s, SBR keep-majority stable-after 1.5 s, " +
                         $"down-removal-margin 0.5 s, region retry 200 ms): its {owned.Count} sessions served by their new owners " +
                         $"{recovered.TotalSeconds:0.0} s after the crash; {load.Sent} requests through the 2 survivors, " +
                         $"{load.Failures.Count} failed, {load.Moved.Count} changed backend");
        Assert.Empty(load.Failures);
        Assert.Empty(load.Moved);
        foreach (var id in owned)
            Assert.Equal(sessions.Single(s => SessionKeys.EntityId("header", s.Key) == id).Backend, answers[id]);
    }

    [Fact]
    public async Task A_leaving_node_hands_its_sessions_off_with_no_change_of_backend()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var cluster = await TestCluster.StartAsync(3, StickyClusterFixture.Config(backends));
        const int leaver = 1;
        var sessions = await CreateSessionsAsync(cluster, leaver);
        var owned = (await TestCluster.EntitiesOnAsync(cluster[leaver])).Where(id => id.StartsWith("header:user-", StringComparison.Ordinal)).ToList();
        Assert.NotEmpty(owned);

        var load = new Load(cluster, sessions, leaver);
        load.Start();
        var leave = Stopwatch.StartNew();
        await cluster.StopAsync(leaver);
        var left = leave.Elapsed;
        var answers = await WaitForOwnersAsync(cluster[0], owned, TimeSpan.FromSeconds(20));
        var served = leave.Elapsed;
        await Task.Delay(500);
        await load.StopAsync();

        output.WriteLine($"graceful leave of node 2 of 3: stopped in {left.TotalSeconds:0.0} s, its {owned.Count} sessions answered by their new owners " +
                         $"{served.TotalSeconds:0.0} s after it began; {load.Sent} requests through the others, {load.Failures.Count} failed, {load.Moved.Count} changed backend");
        Assert.Empty(load.Failures);
        Assert.Empty(load.Moved);
        foreach (var id in owned)
            Assert.Equal(sessions.Single(s => SessionKeys.EntityId("header", s.Key) == id).Backend, answers[id]);
        // Through a node whose cache never saw the leaver's keys: the new owner answers, same backend.
        using var client = StickyClients.Plain(cluster[0].Runtime.ListenerEndPoint("web"));
        foreach (var session in sessions)
            Assert.Equal(session.Backend, await StickyClients.BackendOfAsync(client, "/", ("X-User", session.Key)));
    }
}
