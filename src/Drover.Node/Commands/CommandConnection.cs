using System.Net.Sockets;
using System.Threading.Channels;
using Akka.Actor;
using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>
/// The socket side of one client session, so the session actor never touches I/O: a read loop that
/// parses frames and tells the actor, and a write loop that drains a bounded outbox. A client that
/// stops reading fills the outbox and is disconnected instead of growing memory.
/// </summary>
internal sealed class CommandConnection
{
    private const int OutboxCapacity = 4096;
    private const int MaxUnprocessedFrames = 64;
    private static readonly TimeSpan CloseGrace = TimeSpan.FromSeconds(5);

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly Channel<CommandFrames.ServerFrame> _outbox =
        Channel.CreateBounded<CommandFrames.ServerFrame>(new BoundedChannelOptions(OutboxCapacity) { SingleReader = true });
    private readonly CancellationTokenSource _reading = new();
    private IActorRef _session = ActorRefs.Nobody;
    private int _unprocessed;
    private int _closed;

    public CommandConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: false);
        Remote = socket.RemoteEndPoint?.ToString() ?? "?";
    }

    public string Remote { get; }

    public void Start(IActorRef session)
    {
        _session = session;
        _ = ReadLoopAsync();
        _ = WriteLoopAsync();
    }

    /// <summary>Queues a frame; false when the connection is closing or the client is not reading (then it is dropped).</summary>
    public bool Send(CommandFrames.ServerFrame frame)
    {
        if (_outbox.Writer.TryWrite(frame)) return true;
        if (Volatile.Read(ref _closed) == 0)
        {
            _session.Tell(new CommandHostProtocol.ConnectionClosed("the client does not read its output", Violation: false));
            Abort();
        }
        return false;
    }

    /// <summary>The session handled a frame; lets the read loop go on (a client that floods frames waits).</summary>
    public void Processed() => Interlocked.Decrement(ref _unprocessed);

    /// <summary>Sends what is queued, then closes; a client that does not take it within a few seconds is cut off.</summary>
    public void Close()
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0) return;
        _reading.Cancel();
        _outbox.Writer.TryComplete();
        _ = Task.Delay(CloseGrace).ContinueWith(_ => _socket.Dispose(), TaskScheduler.Default);
    }

    private void Abort()
    {
        Interlocked.Exchange(ref _closed, 1);
        _reading.Cancel();
        _outbox.Writer.TryComplete();
        _socket.Dispose();
    }

    private async Task ReadLoopAsync()
    {
        using var reader = new FrameReader(_stream);
        try
        {
            while (true)
            {
                while (Volatile.Read(ref _unprocessed) >= MaxUnprocessedFrames)
                    await Task.Delay(10, _reading.Token).ConfigureAwait(false);
                var line = await reader.ReadLineAsync(_reading.Token).ConfigureAwait(false);
                if (line is null)
                {
                    _session.Tell(new CommandHostProtocol.ConnectionClosed("the client closed the connection", Violation: false));
                    return;
                }
                if (line.Length == 0) continue;
                var frame = FrameCodec.Decode<CommandFrames.ClientFrame>(line);
                Interlocked.Increment(ref _unprocessed);
                _session.Tell(new CommandHostProtocol.FrameReceived(frame));
            }
        }
        catch (FrameException ex)
        {
            _session.Tell(new CommandHostProtocol.ConnectionClosed(ex.Message, Violation: true));
        }
        catch (OperationCanceledException)
        {
            // Closing: nothing more to read.
        }
        catch (Exception ex)
        {
            _session.Tell(new CommandHostProtocol.ConnectionClosed($"read failed: {ex.Message}", Violation: false));
        }
    }

    private async Task WriteLoopAsync()
    {
        try
        {
            await foreach (var frame in _outbox.Reader.ReadAllAsync().ConfigureAwait(false))
                await _stream.WriteAsync(FrameCodec.Encode(frame)).ConfigureAwait(false);
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            if (Volatile.Read(ref _closed) == 0)
                _session.Tell(new CommandHostProtocol.ConnectionClosed($"write failed: {ex.Message}", Violation: false));
        }
        finally
        {
            _socket.Dispose();
        }
    }

    /// <summary>Tells a client the host cannot take it, then closes; off the actor, bounded in time.</summary>
    public static async Task RejectAsync(Socket socket, string message)
    {
        try
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await socket.SendAsync(FrameCodec.Encode(new CommandFrames.Error(message)), SocketFlags.None, cts.Token).ConfigureAwait(false);
            socket.Shutdown(SocketShutdown.Both);
        }
        catch (Exception)
        {
            // The client is gone or slow; closing is all that is left.
        }
        finally
        {
            socket.Dispose();
        }
    }
}
