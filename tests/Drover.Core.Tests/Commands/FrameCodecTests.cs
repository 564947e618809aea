using System.Text;
using Drover.Core.Commands;

namespace Drover.Core.Tests.Commands;

public sealed class FrameCodecTests
{
    [Fact]
    public void Frames_round_trip_as_one_json_line_with_a_type()
    {
        var run = new CommandFrames.Run(7, "cluster", "down", new Dictionary<string, string> { ["address"] = "10.0.0.5:4053" });
        var line = Encoding.UTF8.GetString(FrameCodec.Encode(run));
        Assert.EndsWith("\n", line);
        Assert.Single(line.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("{\"type\":\"run\"", line);
        var back = Assert.IsType<CommandFrames.Run>(FrameCodec.Decode<CommandFrames.ClientFrame>(line.TrimEnd('\n')));
        Assert.Equal(7, back.Id);
        Assert.Equal("10.0.0.5:4053", back.Args!["address"]);

        var text = "line one\nline \"two\"\n";
        var output = FrameCodec.Decode<CommandFrames.ServerFrame>(Encoding.UTF8.GetString(FrameCodec.Encode(new CommandFrames.Output(1, text))).TrimEnd('\n'));
        Assert.Equal(text, Assert.IsType<CommandFrames.Output>(output).Text);
    }

    [Fact]
    public void The_welcome_carries_palettes_with_their_arguments()
    {
        var palette = new PaletteSpec("actor", "a", [new CommandSpec("hierarchy", "h", new ArgumentSpec("depth", "d", "levels", Kind: ArgumentKind.Number))]);
        var welcome = new CommandFrames.Welcome(1, "akka.tcp://drover@127.0.0.1:4053", "0.1.0", [palette]);
        var line = Encoding.UTF8.GetString(FrameCodec.Encode(welcome)).TrimEnd('\n');
        Assert.Contains("\"kind\":\"number\"", line);
        var back = Assert.IsType<CommandFrames.Welcome>(FrameCodec.Decode<CommandFrames.ServerFrame>(line));
        Assert.Equal("d", back.Palettes[0].Commands[0].Arguments[0].Short);
        Assert.Equal(ArgumentKind.Number, back.Palettes[0].Commands[0].Arguments[0].Kind);
        Assert.Equal("hierarchy [-d DEPTH]", back.Palettes[0].Commands[0].Usage);
    }

    [Theory]
    [InlineData("not json")]
    [InlineData("{\"type\":\"nope\"}")]
    [InlineData("{\"id\":1}")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"type\":\"run\",\"id\":\"x\"}")]
    [InlineData("null")]
    public void Anything_else_is_a_frame_exception(string line) =>
        Assert.Throws<FrameException>(() => FrameCodec.Decode<CommandFrames.ClientFrame>(line));

    [Fact]
    public void The_type_may_come_after_other_fields() =>
        Assert.IsType<CommandFrames.Cancel>(FrameCodec.Decode<CommandFrames.ClientFrame>("{\"id\":3,\"type\":\"cancel\"}"));

    [Fact]
    public async Task The_reader_splits_lines_however_the_bytes_arrive()
    {
        var bytes = Encoding.UTF8.GetBytes("first\r\nsecond ünïcode\n\nthird\n");
        using var reader = new FrameReader(new TrickleStream(bytes, 3));
        Assert.Equal("first", await reader.ReadLineAsync());
        Assert.Equal("second ünïcode", await reader.ReadLineAsync());
        Assert.Equal("", await reader.ReadLineAsync());
        Assert.Equal("third", await reader.ReadLineAsync());
        Assert.Null(await reader.ReadLineAsync());
    }

    [Fact]
    public async Task The_reader_refuses_bad_utf8_a_line_too_long_and_a_cut_frame()
    {
        using (var reader = new FrameReader(new MemoryStream([0x7b, 0xff, 0xfe, 0x7d, 0x0a])))
            Assert.Contains("UTF-8", (await Assert.ThrowsAsync<FrameException>(() => reader.ReadLineAsync().AsTask())).Message);

        var huge = new byte[FrameCodec.MaxFrameBytes + 10];
        Array.Fill(huge, (byte)'a');
        using (var reader = new FrameReader(new MemoryStream(huge)))
            Assert.Contains("longer than", (await Assert.ThrowsAsync<FrameException>(() => reader.ReadLineAsync().AsTask())).Message);

        using (var reader = new FrameReader(new MemoryStream(Encoding.UTF8.GetBytes("{\"type\""))))
            Assert.Contains("middle of a frame", (await Assert.ThrowsAsync<FrameException>(() => reader.ReadLineAsync().AsTask())).Message);
    }

    /// <summary>Hands out at most a few bytes per read, like a slow network.</summary>
    private sealed class TrickleStream(byte[] data, int chunk) : MemoryStream(data)
    {
        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
            base.ReadAsync(buffer[..Math.Min(chunk, buffer.Length)], cancellationToken);
    }
}
