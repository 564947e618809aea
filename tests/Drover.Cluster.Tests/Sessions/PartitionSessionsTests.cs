using System.Diagnostics;
using Drover.Cluster.Tests.Support;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;
using static Drover.Cluster.Tests.Support.SessionTraffic;

namespace Drover.Cluster.Tests.Sessions;

/// <summary>
/// A partition cuts one node of three off (throttler black-hole): the majority keeps serving every
/// session on the backend it was bound to before the cut, through the cut, the downing of the
/// minority and the move of its shards, and afterwards.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class PartitionSessionsTests(ITestOutputHelper output)
{
    [Fact]
    public async Task The_majority_keeps_every_session_on_its_backend_through_and_after_a_partition()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var cluster = await TestCluster.StartAsync(3, StickyClusterFixture.Config(backends) + "\n" + Blackhole.Adapters);
        const int cut = 2;
        var sessions = await CreateAsync(cluster, cut);
        var owned = await OwnedByAsync(cluster[cut]);
        Assert.NotEmpty(owned); // some owners sit on the side that will be cut off
        var majority = cluster.Nodes.Where((_, n) => n != cut).ToList();

        var load = new Load(majority, sessions);
        load.Start();
        await Task.Delay(300);
        var clock = Stopwatch.StartNew();
        await Blackhole.IsolateAsync(cluster.Nodes, cluster[cut]);

        await cluster[cut].System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(40));
        var downed = clock.Elapsed;
        Assert.Equal(DroverNode.ExitDownedByCluster, cluster[cut].ExitCode);
        var answers = await WaitForOwnersAsync(cluster[0], owned, TimeSpan.FromSeconds(40));
        var owners = clock.Elapsed;
        await Task.Delay(1000); // more traffic with the new owners
        await load.StopAsync();

        output.WriteLine($"partition of node 3 of 3 (test timings): it downed itself {downed.TotalSeconds:0.0} s after the cut; its {owned.Count} sessions " +
                         $"answered by new owners on the majority {owners.TotalSeconds:0.0} s after; {load.Sent} requests through the majority, " +
                         $"{load.Failures.Count} failed, {load.Moved.Count} changed backend");
        Assert.Empty(load.Failures);
        Assert.Empty(load.Moved);
        foreach (var id in owned)
            Assert.Equal(sessions.Single(s => s.EntityId == id).Backend, answers[id]);
        // After it, through each majority node, every session (the cut-off node's too) on its old backend.
        foreach (var node in majority)
        {
            using var client = StickyClients.Plain(node.Runtime.ListenerEndPoint("web"));
            foreach (var session in sessions)
                Assert.Equal(session.Backend, await StickyClients.BackendOfAsync(client, "/", ("X-User", session.Key)));
        }
    }
}
