using System.Net.Sockets;
using Drover.Core.Commands;
using Drover.Node.Commands;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>The command host's limits and its stop with the node.</summary>
public sealed class CommandHostLifecycleTests
{
    [Fact]
    public async Task Clients_beyond_the_limit_are_turned_away_with_a_reason()
    {
        await using var node = await TestNode.StartAsync(CommandNodeFixture.Drover);
        var clients = new List<RawClient>();
        try
        {
            for (var i = 0; i < CommandHostActor.MaxSessions; i++)
            {
                var client = await RawClient.ConnectAsync(node.Commands.EndPoint!);
                clients.Add(client);
                await client.HelloAsync(); // each one is a session by now
            }

            await using var extra = await RawClient.ConnectAsync(node.Commands.EndPoint!);
            var error = Assert.IsType<CommandFrames.Error>(await extra.ReadAsync());
            Assert.Equal($"too many clients (at most {CommandHostActor.MaxSessions} at once)", error.Message);
            Assert.True(await extra.IsClosedAsync());
        }
        finally
        {
            foreach (var client in clients) await client.DisposeAsync();
        }

        // Once they are gone, there is room again.
        await Eventually.TrueAsync(async () => (await CliRunner.RunAsync(node.Commands.EndPoint!, "cluster status")).ExitCode == 0,
            TimeSpan.FromSeconds(10), "a new client is served");
    }

    [Fact]
    public async Task Stopping_the_node_ends_running_commands_tells_clients_and_closes_the_port()
    {
        var node = await TestNode.StartAsync(CommandNodeFixture.Drover);
        var endPoint = node.Commands.EndPoint!;
        await using var client = await RawClient.ConnectAsync(endPoint);
        await client.HelloAsync();
        await client.SendAsync(new CommandFrames.Run(1, "log", "tail", null));
        await Task.Delay(200); // the tail is running (nothing to show yet on a quiet node)

        var stopping = node.DisposeAsync().AsTask();

        var frames = new List<CommandFrames.ServerFrame>();
        while (await client.ReadAsync(TimeSpan.FromSeconds(20)) is { } frame) frames.Add(frame);
        var end = Assert.Single(frames.OfType<CommandFrames.End>());
        Assert.True(end.Ok); // a stream that ends is a success
        Assert.Equal("the node is shutting down", Assert.IsType<CommandFrames.Error>(frames[^1]).Message);

        await stopping.WaitAsync(TimeSpan.FromSeconds(30));
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(endPoint));
    }
}
