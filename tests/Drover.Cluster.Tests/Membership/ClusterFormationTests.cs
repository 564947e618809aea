using Akka.Cluster;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Membership;

/// <summary>Several Drover nodes in one process on loopback join one cluster through seeds.</summary>
public sealed class ClusterFormationTests
{
    private const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        }
        """;

    [Fact]
    public async Task Nodes_given_a_seed_join_it_and_all_become_up_with_their_roles()
    {
        await using var seed = await TestNode.StartAsync(Drover);
        var seedAddress = Akka.Cluster.Cluster.Get(seed.System).SelfAddress;
        var env = new Dictionary<string, string>
        {
            ["CLUSTER_SEEDS"] = $"{seedAddress.Host}:{seedAddress.Port}",
            ["CLUSTER_ROLES"] = "lb,edge",
        };
        await using var second = await TestNode.StartAsync(TestNode.Config(Drover, env));
        await using var third = await TestNode.StartAsync(TestNode.Config(Drover, env));

        foreach (var node in new[] { seed, second, third })
        {
            var cluster = Akka.Cluster.Cluster.Get(node.System);
            await AwaitAsync(() => cluster.State.Members.Count(m => m.Status == MemberStatus.Up) == 3, TimeSpan.FromSeconds(20));
        }
        var members = Akka.Cluster.Cluster.Get(seed.System).State.Members;
        Assert.Equal(2, members.Count(m => m.Roles.Contains("edge")));
        Assert.All(members, m => Assert.Equal("drover", m.Address.System));
    }

    private static async Task AwaitAsync(Func<bool> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("condition not met in time");
            await Task.Delay(100);
        }
    }
}
