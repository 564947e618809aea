using Akka.Actor;
using Akka.Cluster;
using Drover.Cluster.Tests.Support;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Commands;

/// <summary>
/// The fault palette on three nodes, through the CLI as a drill uses it: a black-holed link makes the
/// members at both ends unreachable to each other, heal makes them reachable again; isolate cuts a
/// node off from every other member.
/// </summary>
public sealed class FaultCommandTests
{
    private const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
          cmd.fault-injection = on
        }
        akka.remote.dot-netty.tcp.applied-adapters = [trttl]
        # The split brain resolver would down the cut-off node; the test heals the link long before this.
        akka.cluster.split-brain-resolver.stable-after = 120s
        """;

    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Blackhole_makes_a_member_unreachable_and_heal_makes_it_reachable_again()
    {
        await using var nodes = await ThreeNodes.StartAsync(Drover);
        var addresses = nodes.Nodes.Select(Self).ToList();
        var cmd = nodes[2].Commands.EndPoint!;

        // One link, typed as host:port: node 2 <-> node 0.
        Assert.Equal([$"{addresses[0]}: black-holed (both ways) from {addresses[2]}"],
            await CliRunner.LinesAsync(cmd, $"fault blackhole -a {addresses[0].Host}:{addresses[0].Port}"));
        Assert.Equal([$"{addresses[0]} | black-holed", "Count: 1 links"], await CliRunner.LinesAsync(cmd, "fault show"));
        await UnreachableAsync(nodes[0], addresses[2], "node 0 sees node 2 unreachable");
        await UnreachableAsync(nodes[2], addresses[0], "node 2 sees node 0 unreachable");

        Assert.Equal([$"{addresses[0]}: healed"], await CliRunner.LinesAsync(cmd, "fault heal"));
        Assert.Equal(["Count: 0 links"], await CliRunner.LinesAsync(cmd, "fault show"));
        await AllReachableAsync(nodes, "every member reachable after heal");

        // isolate: node 2 cut off from both others.
        var isolate = await CliRunner.LinesAsync(cmd, "fault isolate");
        Assert.Equal("Count: 2 links", isolate[^1]);
        await UnreachableAsync(nodes[0], addresses[2], "node 0 sees the isolated node unreachable");
        await UnreachableAsync(nodes[1], addresses[2], "node 1 sees the isolated node unreachable");
        await Eventually.TrueAsync(() => Cluster(nodes[2]).State.Unreachable.Count == 2, Patience, "the isolated node sees both others unreachable");

        // heal -a takes the full address too; heal without one restores what is left.
        Assert.Equal([$"{addresses[0]}: healed"], await CliRunner.LinesAsync(cmd, $"fault heal -a {addresses[0]}"));
        Assert.Equal([$"{addresses[1]}: healed"], await CliRunner.LinesAsync(cmd, "fault heal"));
        await AllReachableAsync(nodes, "every member reachable after healing both links");
        foreach (var node in nodes.Nodes)
            Assert.Equal(3, Cluster(node).State.Members.Count(m => m.Status == MemberStatus.Up));
    }

    private static Akka.Cluster.Cluster Cluster(DroverNode node) => Akka.Cluster.Cluster.Get(node.System);

    private static Address Self(DroverNode node) => Cluster(node).SelfAddress;

    private static Task UnreachableAsync(DroverNode observer, Address member, string what) =>
        Eventually.TrueAsync(() => Cluster(observer).State.Unreachable.Any(m => m.Address.Equals(member)), Patience, what);

    private static async Task AllReachableAsync(ThreeNodes nodes, string what)
    {
        foreach (var node in nodes.Nodes)
            await Eventually.TrueAsync(() => Cluster(node).State.Unreachable.Count == 0, Patience, what);
    }
}
