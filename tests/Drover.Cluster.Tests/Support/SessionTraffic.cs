using System.Collections.Concurrent;
using System.Net;
using Akka.Actor;
using Drover.Core.Sessions;
using Drover.Node.Hosting;
using Drover.Node.Sessions;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Support;

/// <summary>
/// Header-sticky sessions (pool <c>header</c>, key in <c>X-User</c>, as in the sticky fixture's
/// config) for failover tests: creating them, steady traffic over them, and waiting for owners.
/// </summary>
public static class SessionTraffic
{
    public const string Pool = "header";

    public sealed record Session(string Key, string Backend)
    {
        public string EntityId => SessionKeys.EntityId(Pool, Key);
    }

    /// <summary>
    /// <paramref name="count"/> sessions: half through the nodes other than <paramref name="lost"/> (so
    /// their caches know them), half only through <paramref name="lost"/>; every binding replicated to
    /// the first other node before this returns.
    /// </summary>
    public static async Task<List<Session>> CreateAsync(TestCluster cluster, int lost, int count = 90)
    {
        var sessions = new List<Session>();
        var others = Enumerable.Range(0, cluster.Nodes.Count).Where(n => n != lost).ToArray();
        for (var i = 0; i < count; i++)
        {
            var key = $"user-{i}";
            var via = i % 2 == 0 ? cluster[others[i % others.Length]] : cluster[lost];
            using var client = StickyClients.Plain(via.Runtime.ListenerEndPoint("web"));
            var backend = await StickyClients.BackendOfAsync(client, "/", ("X-User", key));
            Assert.StartsWith("b", backend);
            sessions.Add(new Session(key, backend));
        }
        var store = cluster[others[0]].Runtime.Sessions!.Store;
        foreach (var session in sessions)
            await TestCluster.Eventually(() => store.ReadLocal(session.EntityId)?.Backend == session.Backend,
                TimeSpan.FromSeconds(10), $"{session.EntityId} replicated");
        return sessions;
    }

    /// <summary>The sessions of ours whose owner lives on <paramref name="node"/> now.</summary>
    public static async Task<List<string>> OwnedByAsync(DroverNode node) =>
        (await TestCluster.EntitiesOnAsync(node)).Where(id => id.StartsWith($"{Pool}:user-", StringComparison.Ordinal)).ToList();

    /// <summary>Until every one of <paramref name="entityIds"/> answers through <paramref name="via"/>; returns the bindings.</summary>
    public static async Task<Dictionary<string, string?>> WaitForOwnersAsync(DroverNode via, IEnumerable<string> entityIds, TimeSpan timeout)
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

    /// <summary>A request for <see cref="Key"/> through node <see cref="Via"/> (its index in the load's list) answered by another backend than the session's first.</summary>
    public sealed record Move(string Key, string From, string To, int Via);

    /// <summary>Four loops sending every session in turn through each node of <paramref name="through"/> until stopped: failures (non-200) and changes of backend.</summary>
    public sealed class Load(IReadOnlyList<DroverNode> through, IReadOnlyList<Session> sessions)
    {
        public readonly ConcurrentQueue<string> Failures = new();
        public readonly ConcurrentQueue<Move> Moved = new();
        public int Sent;
        private readonly CancellationTokenSource _stop = new();
        private Task? _running;

        public void Start()
        {
            var clients = through.Select(node => StickyClients.Plain(node.Runtime.ListenerEndPoint("web"))).ToArray();
            _running = Task.WhenAll(Enumerable.Range(0, 4).Select(worker => Task.Run(async () =>
            {
                for (var i = worker; !_stop.IsCancellationRequested; i += 4)
                {
                    var session = sessions[i % sessions.Count];
                    Interlocked.Increment(ref Sent);
                    try
                    {
                        // Each pass over the sessions shifts the node, so every session goes through every node.
                        var via = (i + i / sessions.Count) % clients.Length;
                        var (backend, response) = await StickyClients.GetAsync(clients[via], "/", ("X-User", session.Key));
                        using (response)
                        {
                            if (response.StatusCode != HttpStatusCode.OK) Failures.Enqueue($"{session.Key}: {(int)response.StatusCode}");
                            else if (backend != session.Backend) Moved.Enqueue(new Move(session.Key, session.Backend, backend, via));
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
}
