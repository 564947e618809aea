using Akka.Cluster;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Commands;

/// <summary>
/// <c>cluster leave</c> (another member and this node), <c>down-unreachable</c> after a crash,
/// <c>join</c> and <c>down</c>, each issued through a node's command host and checked with
/// <c>cluster show</c>.
/// </summary>
public sealed class ClusterMembershipCommandsTests
{
    private const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        }
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Leave_down_unreachable_join_and_down_change_the_membership()
    {
        // The split brain resolver would down a crashed node by itself after stable-after: keep it out of the way.
        var quiet = new Dictionary<string, string> { ["AKKA__CLUSTER__SPLIT_BRAIN_RESOLVER__STABLE_AFTER"] = "120s" };
        var nodes = new List<DroverNode>();
        var stopping = new List<Task>();
        try
        {
            var a = await TestNode.StartAsync(TestNode.Config(Drover, quiet));
            nodes.Add(a);
            var seed = Self(a);
            var joining = new Dictionary<string, string>(quiet) { ["CLUSTER_SEEDS"] = $"{seed.Host}:{seed.Port}" };
            // b is the crash victim: terminating its actor system must not run a graceful leave.
            var crashable = new Dictionary<string, string>(joining) { ["AKKA__COORDINATED_SHUTDOWN__RUN_BY_ACTOR_SYSTEM_TERMINATE"] = "off" };
            var started = await Task.WhenAll(
                TestNode.StartAsync(TestNode.Config(Drover, crashable)),
                TestNode.StartAsync(TestNode.Config(Drover, joining)),
                TestNode.StartAsync(TestNode.Config(Drover, joining)));
            nodes.AddRange(started);
            var (b, c, d) = (started[0], started[1], started[2]);
            await ShowsAsync(a, 4, "four members up");

            // leave -a: another member leaves gracefully.
            var leave = await CliRunner.LinesAsync(a.Commands.EndPoint!, $"cluster leave -a {Self(d).Host}:{Self(d).Port}");
            Assert.Equal([$"{Self(d)} is leaving the cluster"], leave);
            await ShowsAsync(a, 3, "d has left");

            // leave without an address: the node the CLI is connected to leaves.
            Assert.Equal([$"{Self(c)} is leaving the cluster"], await CliRunner.LinesAsync(c.Commands.EndPoint!, "cluster leave"));
            await ShowsAsync(a, 2, "c has left");
            await Eventually.TrueAsync(() => c.System.WhenTerminated.IsCompleted, Patience, "c's actor system stops after leaving");

            // A crash shows as unreachable; down-unreachable removes it.
            await b.System.Terminate();
            nodes.Remove(b);
            stopping.Add(b.DisposeAsync().AsTask()); // its host's shutdown waits on actors that are gone: let it run meanwhile
            await Eventually.TrueAsync(async () =>
                (await CliRunner.LinesAsync(a.Commands.EndPoint!, "cluster show")).Any(l => l.StartsWith($"{Self(b)} | ") && l.Contains(" | unreachable | ")),
                Patience, "b shows as unreachable");
            Assert.Equal([$"{Self(b)} is marked down", "Count: 1 nodes"], await CliRunner.LinesAsync(a.Commands.EndPoint!, "cluster down-unreachable"));
            await ShowsAsync(a, 1, "b is removed");

            // join: a node whose seed is nowhere joins a's cluster on command.
            var e = await TestNode.StartAsync(TestNode.Config(Drover, new Dictionary<string, string>(quiet) { ["CLUSTER_SEEDS"] = "127.0.0.1:1" }));
            nodes.Add(e);
            Assert.Equal([$"joining {seed}"], await CliRunner.LinesAsync(e.Commands.EndPoint!, $"cluster join -a {seed}"));
            await ShowsAsync(a, 2, "e has joined");
            await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(e.System).SelfMember.Status == MemberStatus.Up, Patience, "e is up");

            // down -a: the member is removed without a handshake.
            Assert.Equal([$"{Self(e)} is marked down"], await CliRunner.LinesAsync(a.Commands.EndPoint!, $"cluster down -a {Self(e)}"));
            await ShowsAsync(a, 1, "e is removed");
        }
        finally
        {
            foreach (var node in Enumerable.Reverse(nodes)) await node.DisposeAsync();
            await Task.WhenAll(stopping);
        }
    }

    private static Akka.Actor.Address Self(DroverNode node) => Akka.Cluster.Cluster.Get(node.System).SelfAddress;

    /// <summary>Waits until <c>cluster show</c> on <paramref name="node"/> lists exactly <paramref name="count"/> members, all up.</summary>
    private static Task ShowsAsync(DroverNode node, int count, string what) =>
        Eventually.TrueAsync(async () =>
        {
            var lines = await CliRunner.LinesAsync(node.Commands.EndPoint!, "cluster show");
            return lines[^1] == $"Count: {count} nodes" && lines[..^1].All(l => l.Contains(" | up |  | "));
        }, Patience, what);
}
