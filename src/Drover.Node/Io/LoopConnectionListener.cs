using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Drover.Core.Io;
using Drover.Core.Threading;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Io;

/// <summary>
/// A listening socket of the <see cref="LoopTransportFactory"/>; accepted connections spread over the loops in turn.
/// <para>
/// With a <see cref="IConnectionFrontDoor"/> (the HTTP/1.1 fast path), the listener runs its own accept
/// loop and each connection is served by the front door on its event loop; Kestrel's accept loop gets
/// only the connections the front door hands over. Kestrel would dispatch every connection to the
/// thread pool and keep it in its connection manager, which with a new connection per request cost
/// about a fifth of the CPU. The listener therefore does for its front-door connections what Kestrel
/// does for its own when it stops: asks them to close (the request in flight finishes), waits for them
/// until Kestrel's stop deadline, then aborts what is left.
/// </para>
/// </summary>
internal sealed class LoopConnectionListener : IConnectionListener
{
    private readonly Socket _listening;
    private readonly LoopSocket _accepting;
    private readonly EventLoopGroup _loops;
    private readonly LoopPipeOptions _pipeOptions;
    private readonly ILogger _logger;
    private readonly bool _wildcard;
    private readonly IConnectionFrontDoor? _frontDoor;
    private readonly Channel<ConnectionContext>? _handedOver;
    private readonly ServingConnections? _serving;
    private readonly CancellationTokenSource _closeRequested = new();
    private readonly TaskCompletionSource _drained = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CancellationToken _stopDeadline;
    private int _unbound;

    public LoopConnectionListener(IPEndPoint endPoint, EventLoopGroup loops, MemoryPool<byte> pool, ILogger logger, IConnectionFrontDoor? frontDoor = null)
    {
        _loops = loops;
        _pipeOptions = new LoopPipeOptions(pool);
        _logger = logger;
        _frontDoor = frontDoor;
        _wildcard = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any);
        _listening = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any)) _listening.DualMode = true;
            _listening.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listening.Bind(endPoint);
            _listening.Listen(512);
            EndPoint = _listening.LocalEndPoint!;
            _accepting = LoopSocket.FromListening(loops.Next(), _listening, delayAcks: true); // HTTP: each request gets a response
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _listening.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            _listening.Dispose();
            throw;
        }
        if (frontDoor is not null)
        {
            _serving = new ServingConnections();
            _handedOver = Channel.CreateUnbounded<ConnectionContext>(); // read by Kestrel's accept loop, and on dispose by this listener
            _ = AcceptForFrontDoorAsync();
        }
    }

    public EndPoint EndPoint { get; }

    /// <summary>Connections the front door is serving (they are not Kestrel's).</summary>
    public int Serving => _serving?.Count ?? 0;

    public ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        if (_handedOver is null) return AcceptOneAsync(cancellationToken);
        return ReadHandedOverAsync(cancellationToken);
    }

    private async ValueTask<ConnectionContext?> ReadHandedOverAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _handedOver!.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
        {
            return null; // unbound: Kestrel stops accepting
        }
    }

    private async Task AcceptForFrontDoorAsync()
    {
        try
        {
            while (await AcceptOneAsync(CancellationToken.None).ConfigureAwait(false) is LoopConnection connection)
            {
                _serving!.Add(connection);
                _ = ServeAtFrontDoorAsync(connection);
            }
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Accepting on {EndPoint} stopped", EndPoint);
        }
        finally
        {
            _handedOver!.Writer.TryComplete();
        }
    }

    private async Task ServeAtFrontDoorAsync(LoopConnection connection)
    {
        var handOver = false;
        try
        {
            handOver = await _frontDoor!.ServeAsync(connection, _closeRequested.Token).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unhandled exception while serving connection {ConnectionId}", connection.ConnectionId);
        }
        _serving!.Remove(connection);
        if (handOver)
        {
            connection.ResumeReceiving(); // Kestrel reads as it likes
            connection.StartSending();
        }
        // Kestrel's accept loop reads what was written before the channel completed on unbind; what it
        // leaves (it stopped reading) is dropped when the listener is disposed.
        if (!handOver || !_handedOver!.Writer.TryWrite(connection))
        {
            if (handOver) _frontDoor!.Dropped(connection);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
        if (Volatile.Read(ref _unbound) != 0 && _serving.Count == 0) _drained.TrySetResult();
    }

    private async Task DropHandedOverAsync()
    {
        while (_handedOver!.Reader.TryRead(out var connection))
        {
            _frontDoor!.Dropped(connection);
            await connection.DisposeAsync().ConfigureAwait(false);
        }
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<ConnectionContext?> AcceptOneAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            SafeHandle handle;
            IPEndPoint? remote;
            try
            {
                (handle, remote) = await _accepting.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException || Volatile.Read(ref _unbound) != 0)
            {
                return null; // unbound or disposed: Kestrel stops accepting
            }
            catch (SocketException ex)
            {
                // Out of descriptors or memory (or a protocol error on one connection): what is queued stays
                // in the kernel; try again shortly rather than end the listener, as HAProxy pauses its own.
                var pause = ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable ? 100 : 10;
                _logger.LogWarning("Accepting on {EndPoint} failed ({Error}); retrying in {Pause} ms", EndPoint, ex.SocketErrorCode, pause);
                try
                {
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                continue;
            }
            try
            {
                // A front-door connection that lands on this loop reads its request speculatively, right here,
                // and joins epoll only if it has to wait (one that lands on another loop joins it at once:
                // its events, and so its work, run there).
                var loop = _loops.Next();
                var socket = LoopSocket.FromAccepted(loop, handle, registerWhenWaiting: _frontDoor is not null && loop == EventLoop.Current);
                // Bound to a wildcard address, the connection's own local address needs a getsockname.
                var local = _wildcard ? socket.LocalEndPoint ?? EndPoint : EndPoint;
                var connection = new LoopConnection(socket, local, remote, _pipeOptions, _logger, receivePaused: _frontDoor?.ReceivesOnDemand == true);
                connection.Start();
                return connection;
            }
            catch (SocketException ex)
            {
                handle.Dispose();
                _logger.LogWarning("A connection accepted on {EndPoint} could not be registered: {Error}", EndPoint, ex.SocketErrorCode);
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        _stopDeadline = cancellationToken;
        Volatile.Write(ref _unbound, 1);
        _accepting.Dispose();
        if (_frontDoor is not null)
        {
            _handedOver!.Writer.TryComplete();
            _closeRequested.Cancel(); // idle front-door connections close now, busy ones after their response
            foreach (var connection in _serving!.Snapshot())
            {
                connection.Transport.Input.CancelPendingRead(); // wakes the idle ones
                connection.WakeFirstInputWait(); // and one still waiting for its first request (its read after that is the cancelled one)
            }
            if (_serving!.Count == 0) _drained.TrySetResult();
        }
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        var unbound = Interlocked.Exchange(ref _unbound, 1) != 0;
        _accepting.Dispose();
        _listening.Dispose();
        if (_frontDoor is null) return;
        if (!unbound) await UnbindAsync(new CancellationToken(canceled: true)).ConfigureAwait(false); // disposed without a stop: no grace
        // Kestrel has waited for its own connections until the stop deadline; ours had the same time.
        try
        {
            await _drained.Task.WaitAsync(_stopDeadline).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            _logger.LogDebug("{Count} connections on {EndPoint} were still open at the stop deadline; aborting them", _serving!.Count, EndPoint);
            foreach (var connection in _serving!.Snapshot()) connection.Abort(new ConnectionAbortedException("The listener stopped."));
            // As Kestrel: a second for aborted connections to end (one waiting on a backend ends at its response timeout).
            await Task.WhenAny(_drained.Task, Task.Delay(TimeSpan.FromSeconds(1))).ConfigureAwait(false);
        }
        await DropHandedOverAsync().ConfigureAwait(false);
    }
}
