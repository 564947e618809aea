using Akka.Cluster;
using Drover.Cluster.Tests.Support;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Drover.Cluster.Tests.Membership;

/// <summary>A node that the cluster downs stops, with an exit code that tells a supervisor to restart it.</summary>
public sealed class DownedNodeTests
{
    private const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        }
        """;

    [Fact]
    public async Task A_downed_node_stops_its_host_and_reports_exit_code_3_while_a_node_stopped_normally_reports_0()
    {
        await using var first = await TestNode.StartAsync(Drover);
        var seed = Akka.Cluster.Cluster.Get(first.System).SelfAddress;
        await using var second = await TestNode.StartAsync(TestNode.Config(Drover, new Dictionary<string, string> { ["CLUSTER_SEEDS"] = $"{seed.Host}:{seed.Port}" }));
        await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(first.System).State.Members.Count(m => m.Status == MemberStatus.Up) == 2, TimeSpan.FromSeconds(20));

        var stopped = new TaskCompletionSource();
        second.Host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping.Register(() => stopped.TrySetResult());
        Akka.Cluster.Cluster.Get(first.System).Down(Akka.Cluster.Cluster.Get(second.System).SelfAddress);

        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await second.System.WhenTerminated.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(DroverNode.ExitDownedByCluster, second.ExitCode);

        await first.StopAsync();
        Assert.Equal(0, first.ExitCode);
    }
}
