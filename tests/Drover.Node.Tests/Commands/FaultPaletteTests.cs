using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>
/// The fault palette exists only where <c>drover.cmd.fault-injection = on</c>; on one node it can
/// only say what it would do (cutting links is tested on three nodes in Drover.Cluster.Tests).
/// </summary>
public sealed class FaultPaletteTests
{
    private const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        }
        """;

    [Fact]
    public async Task A_node_has_no_fault_palette_by_default()
    {
        await using var node = await TestNode.StartAsync(Drover);
        var result = await CliRunner.RunAsync(node.Commands.EndPoint!, "fault show");
        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("drover: unknown palette 'fault'", result.Error);
        Assert.DoesNotContain("fault", (await CliRunner.LinesAsync(node.Commands.EndPoint!, "help")).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault()));
    }

    [Fact]
    public async Task With_fault_injection_on_the_palette_is_there_and_refuses_what_makes_no_sense()
    {
        await using var node = await TestNode.StartAsync(Drover + """
            drover.cmd.fault-injection = on
            akka.remote.dot-netty.tcp.applied-adapters = [trttl]
            """);
        var cmd = node.Commands.EndPoint!;
        var self = Akka.Cluster.Cluster.Get(node.System).SelfAddress;
        Assert.Equal("akka.trttl.tcp", self.Protocol);
        await Eventually.TrueAsync(() => Akka.Cluster.Cluster.Get(node.System).SelfMember.Status == Akka.Cluster.MemberStatus.Up,
            TimeSpan.FromSeconds(20), "the node is up");

        var help = await CliRunner.LinesAsync(cmd, "help");
        foreach (var command in new[] { "fault blackhole -a ADDRESS", "fault isolate", "fault heal [-a ADDRESS]", "fault show" })
            Assert.Contains(help, l => l.TrimStart().StartsWith(command + " ", StringComparison.Ordinal));
        Assert.Equal(["Count: 0 links"], await CliRunner.LinesAsync(cmd, "fault show"));
        Assert.Equal(["no black-holed links"], await CliRunner.LinesAsync(cmd, "fault heal"));

        var blackholeSelf = await CliRunner.RunAsync(cmd, $"fault blackhole -a {self.Host}:{self.Port}");
        Assert.Equal(1, blackholeSelf.ExitCode);
        Assert.Contains("is this node", blackholeSelf.Error);

        var stranger = await CliRunner.RunAsync(cmd, "fault blackhole -a 127.0.0.1:1");
        Assert.Equal(1, stranger.ExitCode);
        Assert.Equal($"drover: akka.trttl.tcp://drover@127.0.0.1:1 is not a member of this cluster (members: {self})\n", stranger.Error);

        var alone = await CliRunner.RunAsync(cmd, "fault isolate");
        Assert.Equal(1, alone.ExitCode);
        Assert.Contains("this node is the only member", alone.Error);

        var missing = await CliRunner.RunAsync(cmd, "fault blackhole");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("missing -a/--address ADDRESS", missing.Error);
    }
}
