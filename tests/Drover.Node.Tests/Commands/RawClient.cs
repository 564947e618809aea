using System.Net;
using System.Net.Sockets;
using Drover.Core.Commands;

namespace Drover.Node.Tests.Commands;

/// <summary>The command protocol by hand, for tests that need to send what the CLI never would.</summary>
internal sealed class RawClient : IAsyncDisposable
{
    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly FrameReader _reader;

    private RawClient(TcpClient tcp)
    {
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = new FrameReader(_stream);
    }

    public static async Task<RawClient> ConnectAsync(IPEndPoint endPoint)
    {
        var tcp = new TcpClient();
        await tcp.ConnectAsync(endPoint);
        return new RawClient(tcp);
    }

    public Task SendAsync(CommandFrames.ClientFrame frame) => SendRawAsync(FrameCodec.Encode(frame));

    public async Task SendRawAsync(byte[] bytes) => await _stream.WriteAsync(bytes);

    /// <summary>The next frame; null once the host closed the connection.</summary>
    public async Task<CommandFrames.ServerFrame?> ReadAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(10));
        try
        {
            var line = await _reader.ReadLineAsync(cts.Token);
            return line is null ? null : FrameCodec.Decode<CommandFrames.ServerFrame>(line);
        }
        catch (IOException)
        {
            return null; // reset by the host
        }
    }

    public async Task<CommandFrames.Welcome> HelloAsync(string? token = null)
    {
        await SendAsync(new CommandFrames.Hello(CommandFrames.ProtocolVersion, token, "test"));
        return Assert.IsType<CommandFrames.Welcome>(await ReadAsync());
    }

    /// <summary>Runs a command; returns its output chunks joined and its final marker.</summary>
    public async Task<(string Output, CommandFrames.End End)> RunAsync(long id, string palette, string command, Dictionary<string, string>? args = null)
    {
        await SendAsync(new CommandFrames.Run(id, palette, command, args));
        var output = "";
        while (true)
        {
            switch (await ReadAsync())
            {
                case CommandFrames.Output chunk:
                    Assert.Equal(id, chunk.Id);
                    output += chunk.Text;
                    break;
                case CommandFrames.End end:
                    Assert.Equal(id, end.Id);
                    return (output, end);
                case var other:
                    throw new Xunit.Sdk.XunitException($"unexpected frame {other}");
            }
        }
    }

    /// <summary>True once the host has closed the connection (reads end).</summary>
    public async Task<bool> IsClosedAsync()
    {
        try
        {
            while (true)
            {
                if (await ReadAsync(TimeSpan.FromSeconds(10)) is null) return true;
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _tcp.Dispose();
        return ValueTask.CompletedTask;
    }
}
