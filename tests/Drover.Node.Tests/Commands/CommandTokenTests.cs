using System.Net;
using System.Net.Sockets;
using Drover.Cli;
using Drover.Core.Configuration;
using Drover.Node.Commands;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>Token rules: required off loopback, refused when wrong or missing, checked in constant time.</summary>
public sealed class CommandTokenTests
{
    private const string Listener = """
        listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
        pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        """;

    private static string Drover(string cmd) => $"drover {{\n{Listener}\n{cmd}\n}}";

    [Fact]
    public void Tokens_compare_whole_and_exact()
    {
        Assert.True(CommandToken.Accepts("", null));
        Assert.True(CommandToken.Accepts("", "anything"));
        Assert.True(CommandToken.Accepts("s3cret", "s3cret"));
        Assert.False(CommandToken.Accepts("s3cret", null));
        Assert.False(CommandToken.Accepts("s3cret", ""));
        Assert.False(CommandToken.Accepts("s3cret", "s3cre"));
        Assert.False(CommandToken.Accepts("s3cret", "s3cret "));
        Assert.False(CommandToken.Accepts("s3cret", "S3CRET"));
    }

    [Fact]
    public async Task A_host_on_any_address_lets_in_only_clients_with_the_token()
    {
        await using var node = await TestNode.StartAsync(Drover("cmd { bind = \"0.0.0.0:0\", token = \"s3cret\" }"));
        var cmd = new IPEndPoint(IPAddress.Loopback, node.Commands.EndPoint!.Port);
        Assert.Equal(IPAddress.Any, node.Commands.EndPoint.Address);

        var missing = await CliRunner.RunAsync(cmd, "cluster show");
        Assert.Equal(ExitCodes.Denied, missing.ExitCode);
        Assert.Equal($"drover: {cmd} refused the connection: this node requires a token (--token or DROVER_CMD_TOKEN)\n", missing.Error);

        var wrong = await CliRunner.RunAsync(cmd, "cluster show", token: "guess");
        Assert.Equal(ExitCodes.Denied, wrong.ExitCode);
        Assert.Equal($"drover: {cmd} refused the connection: bad token\n", wrong.Error);
        Assert.Equal("", wrong.Output);

        var right = await CliRunner.RunAsync(cmd, "cluster show", token: "s3cret");
        Assert.Equal(0, right.ExitCode);
        Assert.EndsWith("Count: 1 nodes\n", right.Output);
    }

    [Fact]
    public async Task A_token_on_loopback_is_enforced_too()
    {
        await using var node = await TestNode.StartAsync(Drover("cmd { bind = \"127.0.0.1:0\", token = \"local\" }"));
        Assert.Equal(ExitCodes.Denied, (await CliRunner.RunAsync(node.Commands.EndPoint!, "cluster leader")).ExitCode);
        Assert.Equal(0, (await CliRunner.RunAsync(node.Commands.EndPoint!, "cluster leader", token: "local")).ExitCode);
    }

    [Fact]
    public void A_host_on_any_address_without_a_token_is_a_config_error()
    {
        var ex = Assert.Throws<ConfigException>(() => TestNode.Config(Drover("cmd.bind = \"0.0.0.0:0\"")));
        Assert.Equal("drover.cmd.token", Assert.Single(ex.Errors).Path);
    }

    [Fact]
    public async Task A_command_port_in_use_is_a_config_error_before_anything_binds()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var ex = await Assert.ThrowsAsync<ConfigException>(() => TestNode.StartAsync(Drover($"cmd.bind = \"127.0.0.1:{taken}\"")));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("drover.cmd.bind", error.Path);
        Assert.Equal($"127.0.0.1:{taken} is already in use", error.Message);
    }

    [Fact]
    public async Task A_disabled_host_listens_nowhere()
    {
        await using var node = await TestNode.StartAsync(Drover("cmd.enabled = off"));
        Assert.Null(node.Commands.EndPoint);
        Assert.False(node.Commands.Bound.IsCompleted);
        Assert.Null(await node.System.ActorSelection("/user/cmd").ResolveOne(TimeSpan.FromSeconds(1)).ContinueWith(t => t.IsCompletedSuccessfully ? t.Result : null));
    }
}
