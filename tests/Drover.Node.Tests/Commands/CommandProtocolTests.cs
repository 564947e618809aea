using System.Text;
using Akka.Actor;
using Drover.Core.Commands;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>The command host's wire protocol on a real node and a real socket, including what a broken client sends.</summary>
public sealed class CommandProtocolTests(CommandNodeFixture fixture) : IClassFixture<CommandNodeFixture>
{
    [Fact]
    public async Task The_welcome_names_the_node_and_lists_every_palette_with_its_commands_and_switches()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        var welcome = await client.HelloAsync();

        Assert.Equal(Akka.Cluster.Cluster.Get(fixture.Node.System).SelfAddress.ToString(), welcome.Node);
        Assert.Equal(["actor", "cluster", "cluster-sharding", "lb", "log"], welcome.Palettes.Select(p => p.Name));
        var cluster = welcome.Palettes.Single(p => p.Name == "cluster");
        Assert.Equal(["show", "status", "leader", "leave", "down", "join", "down-unreachable", "tail"], cluster.Commands.Select(c => c.Name));
        Assert.True(cluster.FindCommand("tail")!.Streaming);
        var address = Assert.Single(cluster.FindCommand("down")!.Arguments);
        Assert.Equal(("address", "a", true), (address.Name, address.Short, address.Required));
        Assert.False(cluster.FindCommand("leave")!.Arguments[0].Required);
        var sharding = welcome.Palettes.Single(p => p.Name == "cluster-sharding");
        Assert.Equal(["r", "e"], sharding.FindCommand("query")!.Arguments.Select(a => a.Short));
        Assert.Equal(["d", "s"], welcome.Palettes.Single(p => p.Name == "actor").FindCommand("hierarchy")!.Arguments.Select(a => a.Short));
        Assert.Equal("c", welcome.Palettes.Single(p => p.Name == "log").FindCommand("peek")!.Arguments[0].Short);
    }

    [Fact]
    public async Task A_command_answers_with_text_chunks_then_a_final_marker_and_the_connection_takes_the_next()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.HelloAsync();

        var (output, end) = await client.RunAsync(1, "cluster", "show");
        Assert.True(end.Ok);
        Assert.Null(end.Message);
        Assert.EndsWith("Count: 1 nodes\n", output);

        (output, end) = await client.RunAsync(2, "cluster", "leader");
        Assert.True(end.Ok);
        Assert.Equal(Akka.Cluster.Cluster.Get(fixture.Node.System).SelfAddress + "\n", output);
    }

    [Fact]
    public async Task Unknown_palettes_commands_and_arguments_end_with_one_clear_line_and_the_connection_stays_usable()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.HelloAsync();

        var (_, end) = await client.RunAsync(1, "clustr", "show");
        Assert.False(end.Ok);
        Assert.Equal("unknown palette 'clustr' (did you mean 'cluster'? palettes: actor, cluster, cluster-sharding, lb, log)", end.Message);

        (_, end) = await client.RunAsync(2, "cluster", "shw");
        Assert.StartsWith("unknown command 'cluster shw' (did you mean 'show'?", end.Message);

        (_, end) = await client.RunAsync(3, "cluster", "down");
        Assert.Equal("cluster down: missing -a/--address ADDRESS (usage: cluster down -a ADDRESS)", end.Message);

        (_, end) = await client.RunAsync(4, "cluster", "down", new() { ["force"] = "true", ["address"] = "x:1" });
        Assert.Contains("unknown option '--force'", end.Message);

        (_, end) = await client.RunAsync(5, "actor", "hierarchy", new() { ["depth"] = "deep" });
        Assert.Contains("-d/--depth: 'deep' is not a whole number", end.Message);

        var (output, ok) = await client.RunAsync(6, "cluster", "status");
        Assert.True(ok.Ok, ok.Message);
        Assert.Contains(" | up | ", output);
    }

    [Theory]
    [InlineData("not json at all\n")]
    [InlineData("{\"type\":\"launch-missiles\"}\n")]
    [InlineData("{\"type\":\"run\",\"id\":1,\"palette\":\"cluster\",\"command\":\"show\"}\n")]
    public async Task Anything_but_a_hello_first_gets_an_error_and_a_close(string first)
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.SendRawAsync(Encoding.UTF8.GetBytes(first));
        Assert.IsType<CommandFrames.Error>(await client.ReadAsync());
        Assert.True(await client.IsClosedAsync());
        await AssertHostServesAsync();
    }

    [Fact]
    public async Task Garbage_bytes_after_the_hello_get_an_error_and_a_close_and_the_host_goes_on()
    {
        var random = new Random(6);
        foreach (var garbage in new[]
                 {
                     RandomBytes(random, 4096, withNewlines: true),
                     [0xff, 0xfe, 0x00, 0x0a],
                     Encoding.UTF8.GetBytes("{\"type\":\"run\",\"id\":\"one\"}\n"),
                 })
        {
            await using var client = await RawClient.ConnectAsync(fixture.Cmd);
            await client.HelloAsync();
            await client.SendRawAsync(garbage);
            var error = Assert.IsType<CommandFrames.Error>(await client.ReadAsync());
            Assert.Contains("frame", error.Message);
            Assert.True(await client.IsClosedAsync());
        }
        await AssertHostServesAsync();
    }

    [Fact]
    public async Task A_line_longer_than_a_frame_may_be_is_cut_off()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.HelloAsync();
        var huge = new byte[FrameCodec.MaxFrameBytes + 64 * 1024];
        Array.Fill(huge, (byte)'x');
        try
        {
            await client.SendRawAsync(huge);
        }
        catch (IOException)
        {
            // The host may close before it has read everything; what matters is below.
        }
        var frame = await client.ReadAsync();
        if (frame is not null) Assert.Contains("longer than", Assert.IsType<CommandFrames.Error>(frame).Message);
        Assert.True(await client.IsClosedAsync());
        await AssertHostServesAsync();
    }

    [Fact]
    public async Task An_unsupported_protocol_version_is_refused()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.SendAsync(new CommandFrames.Hello(99, null, "future"));
        var error = Assert.IsType<CommandFrames.Error>(await client.ReadAsync());
        Assert.Equal("protocol version 99 is not supported (this node speaks 1)", error.Message);
        Assert.True(await client.IsClosedAsync());
    }

    [Fact]
    public async Task A_streaming_command_runs_until_cancelled_and_refuses_a_second_command_meanwhile()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.HelloAsync();
        await client.SendAsync(new CommandFrames.Run(1, "cluster", "tail", null));
        // The current state comes first, as separate events (MemberUp, then LeaderChanged); read all of it,
        // or a late LeaderChanged line lands in the quiet window below.
        var initial = "";
        while (!initial.Contains("LeaderChanged"))
            initial += Assert.IsType<CommandFrames.Output>(await client.ReadAsync()).Text;
        Assert.Contains("MemberUp", initial);

        await client.SendAsync(new CommandFrames.Run(2, "cluster", "show", null));
        CommandFrames.End? refused = null;
        while (refused is null)
            if (await client.ReadAsync() is CommandFrames.End end) refused = end;
        Assert.Equal(2, refused.Id);
        Assert.False(refused.Ok);
        Assert.Contains("command 1 is still running", refused.Message);

        // Nothing happens in a quiet cluster: the stream stays open until cancelled.
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.ReadAsync(TimeSpan.FromMilliseconds(300)));
        await using var fresh = await RawClient.ConnectAsync(fixture.Cmd);
        await fresh.HelloAsync();
        await fresh.SendAsync(new CommandFrames.Cancel(1)); // another connection's cancel is not this one's
        await client.SendAsync(new CommandFrames.Cancel(1));
        var ended = Assert.IsType<CommandFrames.End>(await SkipOutputAsync(client));
        Assert.Equal(1, ended.Id);
        Assert.True(ended.Ok);
    }

    [Fact]
    public async Task A_client_that_disconnects_mid_stream_leaves_no_session_or_subscriber_behind()
    {
        var host = (ActorRefWithCell)await fixture.Node.System.ActorSelection("/user/cmd").ResolveOne(TimeSpan.FromSeconds(3));
        var user = (ActorRefWithCell)await fixture.Node.System.ActorSelection("/user").ResolveOne(TimeSpan.FromSeconds(3));
        var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.HelloAsync();
        await client.SendAsync(new CommandFrames.Run(1, "cluster", "tail", null));
        Assert.IsType<CommandFrames.Output>(await client.ReadAsync());
        var session = host.Children.OrderBy(c => c.Path.Name.Length).ThenBy(c => c.Path.Name).Last();
        Assert.Contains(user.Children, c => c.Path.Name.StartsWith('$')); // the tail's subscriber

        await client.DisposeAsync();

        await Eventually.TrueAsync(() => !host.Children.Contains(session), TimeSpan.FromSeconds(10), "the session stops");
        await Eventually.TrueAsync(() => !user.Children.Any(c => c.Path.Name.StartsWith('$')), TimeSpan.FromSeconds(10), "the tail's subscriber stops");
        await AssertHostServesAsync();
    }

    private static async Task<CommandFrames.ServerFrame?> SkipOutputAsync(RawClient client)
    {
        while (true)
        {
            var frame = await client.ReadAsync();
            if (frame is not CommandFrames.Output) return frame;
        }
    }

    private async Task AssertHostServesAsync()
    {
        await using var client = await RawClient.ConnectAsync(fixture.Cmd);
        await client.HelloAsync();
        var (output, end) = await client.RunAsync(1, "cluster", "show");
        Assert.True(end.Ok);
        Assert.Contains("Count: 1 nodes", output);
    }

    private static byte[] RandomBytes(Random random, int count, bool withNewlines)
    {
        var bytes = new byte[count];
        random.NextBytes(bytes);
        if (withNewlines)
            for (var i = 0; i < count; i += 97) bytes[i] = (byte)'\n';
        bytes[0] = (byte)'{'; // not an empty first line, which the host skips
        return bytes;
    }
}
