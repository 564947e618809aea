using Akka.Cluster;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Support;

/// <summary>Three Drover nodes in this process on loopback, one cluster, all Up; stopped on dispose.</summary>
public sealed class ThreeNodes : IAsyncDisposable
{
    private ThreeNodes(List<DroverNode> nodes) => Nodes = nodes;

    public List<DroverNode> Nodes { get; }

    public DroverNode this[int index] => Nodes[index];

    public static async Task<ThreeNodes> StartAsync(string drover)
    {
        var nodes = new List<DroverNode> { await TestNode.StartAsync(drover) };
        try
        {
            var seed = Akka.Cluster.Cluster.Get(nodes[0].System).SelfAddress;
            // The full address: with transport adapters (the throttler) its scheme is not plain akka.tcp.
            var env = new Dictionary<string, string> { ["CLUSTER_SEEDS"] = seed.ToString() };
            nodes.Add(await TestNode.StartAsync(TestNode.Config(drover, env)));
            nodes.Add(await TestNode.StartAsync(TestNode.Config(drover, env)));
            foreach (var node in nodes)
            {
                var cluster = Akka.Cluster.Cluster.Get(node.System);
                await Eventually.TrueAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 3, TimeSpan.FromSeconds(20));
            }
            return new ThreeNodes(nodes);
        }
        catch
        {
            foreach (var node in nodes) await node.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Nodes.Select(n => n.DisposeAsync().AsTask()));
        Nodes.Clear();
    }
}
