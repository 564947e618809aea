using System.Net.Sockets;
using Drover.Core.Commands;
using Drover.Core.Net;

namespace Drover.Cli;

/// <summary>
/// One connection to a node's command host: the hello, the palettes the node offers, and commands
/// run one at a time with their output streamed to a callback. Errors are <see cref="CliException"/>s
/// with one clear line.
/// </summary>
public sealed class CommandClient : IAsyncDisposable
{
    private static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan HelloTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan CancelGrace = TimeSpan.FromSeconds(5);

    private readonly TcpClient _tcp;
    private readonly NetworkStream _stream;
    private readonly FrameReader _reader;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private long _nextId;

    private CommandClient(string address, TcpClient tcp, CommandFrames.Welcome welcome, FrameReader reader)
    {
        Address = address;
        _tcp = tcp;
        _stream = tcp.GetStream();
        _reader = reader;
        Welcome = welcome;
        Palettes = new PaletteCatalog(welcome.Palettes);
    }

    /// <summary>The node's address as the user gave it.</summary>
    public string Address { get; }

    public CommandFrames.Welcome Welcome { get; }
    public PaletteCatalog Palettes { get; }

    public static async Task<CommandClient> ConnectAsync(HostPort address, string? token, CancellationToken cancellationToken = default)
    {
        var tcp = new TcpClient { NoDelay = true };
        try
        {
            using (var connect = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                connect.CancelAfter(ConnectTimeout);
                try
                {
                    await tcp.ConnectAsync(address.Host, address.Port, connect.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new CliException(ExitCodes.Unreachable, $"cannot reach {address}: no answer within {ConnectTimeout.TotalSeconds:0} s");
                }
                catch (SocketException ex)
                {
                    throw new CliException(ExitCodes.Unreachable, $"cannot reach {address}: {Describe(ex)}");
                }
            }

            var stream = tcp.GetStream();
            await stream.WriteAsync(FrameCodec.Encode(new CommandFrames.Hello(CommandFrames.ProtocolVersion, token, "drover-cli")), cancellationToken).ConfigureAwait(false);
            var reader = new FrameReader(stream);
            CommandFrames.ServerFrame? first;
            using (var hello = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                hello.CancelAfter(HelloTimeout);
                try
                {
                    var line = await reader.ReadLineAsync(hello.Token).ConfigureAwait(false);
                    first = line is null ? null : FrameCodec.Decode<CommandFrames.ServerFrame>(line);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    throw new CliException(ExitCodes.Unreachable, $"{address} did not answer within {HelloTimeout.TotalSeconds:0} s (is it a drover command host?)");
                }
                catch (FrameException)
                {
                    throw new CliException(ExitCodes.Unreachable, $"{address} is not a drover command host (it answered something else)");
                }
                catch (IOException ex)
                {
                    throw new CliException(ExitCodes.Unreachable, $"{address} closed the connection: {ex.GetBaseException().Message}");
                }
            }
            return first switch
            {
                CommandFrames.Welcome welcome => new CommandClient(address.ToString(), tcp, welcome, reader),
                CommandFrames.Denied denied => throw new CliException(ExitCodes.Denied, $"{address} refused the connection: {denied.Message}"),
                CommandFrames.Error error => throw new CliException(ExitCodes.Unreachable, $"{address}: {error.Message}"),
                null => throw new CliException(ExitCodes.Unreachable, $"{address} closed the connection before answering (is it a drover command host?)"),
                _ => throw new CliException(ExitCodes.Unreachable, $"{address} answered the hello with '{first.GetType().Name}' (is it a drover command host?)"),
            };
        }
        catch
        {
            tcp.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a command, passing each chunk of its answer to <paramref name="output"/>, and returns the
    /// final marker. Cancelling <paramref name="cancellationToken"/> asks the node to end the command
    /// (how a streaming command stops); the node's final marker is still awaited, a few seconds at most.
    /// </summary>
    public async Task<CommandFrames.End> RunAsync(string palette, string command, IReadOnlyDictionary<string, string> arguments,
        Action<string> output, CancellationToken cancellationToken = default)
    {
        var id = ++_nextId;
        await SendAsync(new CommandFrames.Run(id, palette, command, arguments)).ConfigureAwait(false);

        using var giveUp = new CancellationTokenSource();
        using var onCancel = cancellationToken.Register(() =>
        {
            _ = SendAsync(new CommandFrames.Cancel(id));
            giveUp.CancelAfter(CancelGrace);
        });
        while (true)
        {
            CommandFrames.ServerFrame? frame;
            try
            {
                var line = await _reader.ReadLineAsync(giveUp.Token).ConfigureAwait(false);
                frame = line is null ? null : FrameCodec.Decode<CommandFrames.ServerFrame>(line);
            }
            catch (OperationCanceledException)
            {
                throw new CliException(ExitCodes.Unreachable, $"{Address} did not end '{palette} {command}' within {CancelGrace.TotalSeconds:0} s of the cancel");
            }
            catch (FrameException ex)
            {
                throw new CliException(ExitCodes.Unreachable, $"{Address} sent something that is not a frame: {ex.Message}");
            }
            catch (IOException)
            {
                throw new CliException(ExitCodes.Unreachable, $"connection to {Address} lost");
            }

            switch (frame)
            {
                case CommandFrames.Output chunk when chunk.Id == id:
                    output(chunk.Text);
                    break;
                case CommandFrames.End end when end.Id == id:
                    return end;
                case CommandFrames.Error error:
                    throw new CliException(ExitCodes.Unreachable, $"{Address}: {error.Message}");
                case null:
                    throw new CliException(ExitCodes.Unreachable, $"connection to {Address} lost");
            }
        }
    }

    private async Task SendAsync(CommandFrames.ClientFrame frame)
    {
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            await _stream.WriteAsync(FrameCodec.Encode(frame)).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            throw new CliException(ExitCodes.Unreachable, $"connection to {Address} lost");
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private static string Describe(SocketException ex) => ex.SocketErrorCode switch
    {
        SocketError.ConnectionRefused => "connection refused (is the node running, and is drover.cmd.bind this address?)",
        SocketError.HostNotFound or SocketError.NoData => "unknown host",
        SocketError.TimedOut => "timed out",
        SocketError.NetworkUnreachable or SocketError.HostUnreachable => "network unreachable",
        _ => ex.Message,
    };

    public ValueTask DisposeAsync()
    {
        _reader.Dispose();
        _tcp.Dispose();
        _writeLock.Dispose();
        return ValueTask.CompletedTask;
    }
}
