using Akka.Actor;
using Akka.Cluster;
using Drover.Core.Sessions;
using Drover.Node.Hosting;
using Drover.Node.Sessions;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Support;

/// <summary>
/// Several Drover nodes in this process joining one cluster on loopback, with failure detection and
/// the split brain resolver tuned short so a crash is dealt with in seconds. Every node can be
/// crashed (its actor system terminated without leaving, as a killed process would) or stopped
/// gracefully (leave, shard hand-off). Disposing stops whatever is still running.
/// </summary>
public sealed class TestCluster : IAsyncDisposable
{
    /// <summary>
    /// Short timings for tests: unreachable after about 1.5 s without heartbeats, downed by the
    /// resolver 1.5 s later; regions retry buffered messages every 200 ms. A terminated actor system
    /// does not run coordinated shutdown, so terminating one is a crash, not a leave.
    /// </summary>
    public const string AkkaTimings = """
        akka {
          coordinated-shutdown.run-by-actor-system-terminate = off
          coordinated-shutdown.exit-clr = off
          cluster {
            failure-detector { heartbeat-interval = 300ms, acceptable-heartbeat-pause = 1s, threshold = 8.0, expected-response-after = 300ms }
            split-brain-resolver { active-strategy = keep-majority, stable-after = 1500ms, down-all-when-unstable = off }
            down-removal-margin = 500ms
            sharding.retry-interval = 200ms
            sharding.updating-state-timeout = 2s
            sharding.waiting-for-state-timeout = 2s
            gossip-interval = 300ms
            leader-actions-interval = 300ms
            unreachable-nodes-reaper-interval = 300ms
          }
        }
        """;

    /// <summary>
    /// The failure detector, split brain resolver and sharding timings of the repository's akka.hocon,
    /// read from the file, with the crash simulation of <see cref="AkkaTimings"/>: what a production
    /// deployment gets. Gossip and leader intervals stay Akka's defaults.
    /// </summary>
    public static string ShippedTimings()
    {
        var file = Drover.Node.Configuration.HoconText.Parse(File.ReadAllText(RepoFile("akka.hocon")), "akka.hocon");
        var lines = new List<string>
        {
            "akka.coordinated-shutdown.run-by-actor-system-terminate = off",
            "akka.coordinated-shutdown.exit-clr = off",
        };
        foreach (var key in new[]
        {
            "failure-detector.heartbeat-interval", "failure-detector.acceptable-heartbeat-pause", "split-brain-resolver.stable-after",
            "down-removal-margin", "sharding.retry-interval",
        })
            if (file.HasPath($"akka.cluster.{key}"))
                lines.Add($"akka.cluster.{key} = {(long)file.GetTimeSpan($"akka.cluster.{key}").TotalMilliseconds}ms");
        foreach (var key in new[] { "failure-detector.threshold", "split-brain-resolver.active-strategy", "split-brain-resolver.down-all-when-unstable" })
            if (file.HasPath($"akka.cluster.{key}"))
                lines.Add($"akka.cluster.{key} = {file.GetString($"akka.cluster.{key}")}");
        return string.Join("\n", lines);
    }

    /// <summary>A file of this repository, found from the test's output folder upwards.</summary>
    public static string RepoFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Cluster.sln"))) return Path.Combine(dir.FullName, relative);
        throw new InvalidOperationException($"no Cluster.sln above {AppContext.BaseDirectory}");
    }

    private readonly string _hocon;
    private readonly SessionOptions _sessions;

    private TestCluster(List<DroverNode> nodes, string hocon, SessionOptions sessions)
    {
        Nodes = nodes;
        _hocon = hocon;
        _sessions = sessions;
    }

    public List<DroverNode> Nodes { get; }

    public DroverNode this[int index] => Nodes[index];

    /// <summary><paramref name="count"/> nodes with <paramref name="drover"/>'s config and <paramref name="timings"/> (default <see cref="AkkaTimings"/>), all Up, sharding answering.</summary>
    public static async Task<TestCluster> StartAsync(int count, string drover, SessionOptions? sessions = null, string? timings = null)
    {
        var hocon = drover + "\n" + (timings ?? AkkaTimings);
        sessions ??= SessionOptions.Default;
        var nodes = new List<DroverNode>();
        try
        {
            nodes.Add(await TestNode.StartAsync(TestNode.Config(hocon) with { Sessions = sessions }));
            var env = SeedEnvironment(nodes[0]);
            for (var i = 1; i < count; i++)
                nodes.Add(await TestNode.StartAsync(TestNode.Config(hocon, env) with { Sessions = sessions }));
            var cluster = new TestCluster(nodes, hocon, sessions);
            await cluster.WaitForMembersAsync(count, TimeSpan.FromSeconds(30));
            await cluster.WaitForShardingAsync(TimeSpan.FromSeconds(30));
            return cluster;
        }
        catch
        {
            foreach (var node in nodes) await node.DisposeAsync();
            throw;
        }
    }

    private static Dictionary<string, string> SeedEnvironment(DroverNode seedNode)
    {
        var seed = Akka.Cluster.Cluster.Get(seedNode.System).SelfAddress;
        return new Dictionary<string, string> { ["CLUSTER_SEEDS"] = $"{seed.Host}:{seed.Port}" };
    }

    /// <summary>
    /// Starts one more node with the same config, joining through <paramref name="seed"/>'s node;
    /// returns as soon as its listeners are bound (it may not be Up, nor ready, yet).
    /// </summary>
    public async Task<DroverNode> AddNodeAsync(int seed = 0)
    {
        var node = await TestNode.StartAsync(TestNode.Config(_hocon, SeedEnvironment(Nodes[seed])) with { Sessions = _sessions });
        Nodes.Add(node);
        return node;
    }

    public async Task WaitForMembersAsync(int count, TimeSpan timeout)
    {
        foreach (var node in Nodes)
        {
            var cluster = Akka.Cluster.Cluster.Get(node.System);
            await Eventually(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == count, timeout, "cluster members up");
        }
    }

    /// <summary>Until every node's region answers for sessions in several shards (the coordinator is up and allocating).</summary>
    public async Task WaitForShardingAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        foreach (var node in Nodes)
            for (var i = 0; i < 6; i++)
            {
                while (true)
                {
                    try
                    {
                        await Region(node).Ask<SessionProtocol.Binding>(new SessionProtocol.GetBinding($"warm-up:{i}"), TimeSpan.FromSeconds(1));
                        break;
                    }
                    catch (AskTimeoutException) when (DateTime.UtcNow < deadline)
                    {
                    }
                }
            }
    }

    public static IActorRef Region(DroverNode node) => node.Runtime.Sessions!.Region!;

    /// <summary>The owner's binding of <paramref name="key"/> in <paramref name="pool"/>, asked through <paramref name="node"/>.</summary>
    public static async Task<string?> OwnerBindingAsync(DroverNode node, string pool, string key, TimeSpan? timeout = null) =>
        (await Region(node).Ask<SessionProtocol.Binding>(new SessionProtocol.GetBinding(SessionKeys.EntityId(pool, key)), timeout ?? TimeSpan.FromSeconds(5))).Backend;

    /// <summary>The session entity ids living on <paramref name="node"/> now.</summary>
    public static async Task<HashSet<string>> EntitiesOnAsync(DroverNode node)
    {
        var state = await Region(node).Ask<Akka.Cluster.Sharding.CurrentShardRegionState>(Akka.Cluster.Sharding.GetShardRegionState.Instance, TimeSpan.FromSeconds(5));
        return state.Shards.SelectMany(s => s.EntityIds).ToHashSet();
    }

    /// <summary>A crash: the node's actor system stops without leaving the cluster (its sockets close; nothing is handed off).</summary>
    public async Task CrashAsync(int index)
    {
        await Nodes[index].System.Terminate();
    }

    /// <summary>A graceful stop: listeners drain, the node leaves and hands its shards off.</summary>
    public async Task StopAsync(int index)
    {
        await Nodes[index].StopAsync();
    }

    public static async Task Eventually(Func<bool> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: not within {timeout}");
            await Task.Delay(50);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in Enumerable.Reverse(Nodes)) await node.DisposeAsync();
    }
}
