using Akka.Cluster;
using Drover.Cluster.Tests.Support;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;

namespace Drover.Cluster.Tests.Membership;

/// <summary>A partition cuts one node off: the minority side downs itself, the majority keeps serving.</summary>
public sealed class PartitionTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_cut_off_node_downs_itself_and_the_majority_keeps_serving()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        // The throttler transport adapter lets a test black-hole traffic between nodes without root.
        var drover = $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p.backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ]
            }
            {{Blackhole.Adapters}}
            """;
        await using var nodes = await ThreeNodes.StartAsync(drover);
        var started = DateTime.UtcNow;
        // Cut node 2 off from nodes 0 and 1, both ways, on both sides.
        await Blackhole.IsolateAsync(nodes.Nodes, nodes[2]);

        await nodes[2].System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(40));
        output.WriteLine($"the cut-off node downed itself {(DateTime.UtcNow - started).TotalSeconds:F1} s after the partition");
        Assert.Equal(DroverNode.ExitDownedByCluster, nodes[2].ExitCode);

        foreach (var node in nodes.Nodes.Take(2))
        {
            var cluster = Akka.Cluster.Cluster.Get(node.System);
            await Eventually.TrueAsync(() => cluster.State.Members.Count == 2 && cluster.State.Members.All(m => m.Status == MemberStatus.Up),
                TimeSpan.FromSeconds(30), "the majority sees two members, both up");
            using var client = new HttpClient();
            using var response = await client.GetAsync($"http://{node.Runtime.ListenerEndPoint("web")}/");
            Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        }
    }
}
