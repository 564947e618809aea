using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Threading.Tasks.Sources;
using Drover.Core.Io;
using Drover.Core.Threading;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Io;

/// <summary>
/// A client connection accepted by the <see cref="LoopTransportFactory"/>: the socket's bytes flow
/// through two pipes as with Kestrel's socket transport, but the socket is driven by an
/// <see cref="EventLoop"/>. Both pipes run their continuations inline, so a request that arrives is
/// read, parsed and proxied on the loop thread that saw it arrive, and a response written by the
/// application is sent on the writer's thread before its flush returns.
/// <para>
/// A connection for a front door that receives on demand starts neither loop: what came with it is read
/// at once, the receive loop starts when the door first wants to wait for input, and the send loop when
/// something is flushed to the output pipe (the fast path sends its responses directly). A connection
/// that is accepted, answered and closed then costs no loop at all, as HAProxy's costs no task beyond its stream.
/// </para>
/// </summary>
internal sealed class LoopConnection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature,
    IMemoryPoolFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IEventLoopFeature, IReceivePauseFeature, IDirectSendFeature, IValueTaskSource
{
    private const int MinimumReceive = 2048;

    // The receive loop's state (IReceivePauseFeature): running; paused (it waits for no more data); parked (paused, and waiting to be resumed).
    private const int Receiving = 0;
    private const int ReceivePaused = 1;
    private const int ReceiveParked = 2;

    // Each loop's start: not yet (it starts on demand), started, or skipped (the connection ended first).
    private const int LoopNotStarted = 0;
    private const int LoopStarted = 1;
    private const int LoopSkipped = 2;

    private static long s_lastId;

    private readonly LoopSocket _socket;
    private readonly ILogger _logger;
    private readonly IDuplexPipe _application;
    // Made when first asked for (by Kestrel: a connection the front door serves alone never needs them).
    private FeatureCollection? _features;
    private CancellationTokenSource? _closed;
    private int _closedFired;
    private readonly object _shutdownLock = new();
    private int _receiveLoop;
    private int _sendLoop;
    // One for the connection itself (DisposeAsync releases it) and one per running loop: the last to go closes the socket.
    private int _references = 1;
    private TaskCompletionSource? _released;
    private volatile bool _shutdown;
    private Exception? _shutdownReason;
    private string? _id;
    private IDictionary<object, object?>? _items;
    private CancellationToken? _connectionClosedSet;
    private int _receiveState;
    // Bytes of the output pipe's that the send loop has handed to the socket (IDirectSendFeature compares the writer's count with it).
    private long _pipeBytesSent;
    private ManualResetValueTaskSourceCore<bool> _resumed = new() { RunContinuationsAsynchronously = false };

    // The listener's ServingConnections list runs through these (under its lock).
    internal LoopConnection? ServingPrevious;
    internal LoopConnection? ServingNext;
    internal bool IsServing;

    public LoopConnection(LoopSocket socket, EndPoint? local, EndPoint? remote, LoopPipeOptions options, ILogger logger, bool receivePaused = false)
    {
        _socket = socket;
        _receiveState = receivePaused ? ReceivePaused : Receiving;
        _logger = logger;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        MemoryPool = options.Input.Pool;
        var fromClient = new Pipe(options.Input);
        var toClient = new Pipe(options.Output);
        // Started paused, the send loop waits for a flush too (see SendOnFlushWriter).
        Transport = new DuplexPipe(fromClient.Reader, receivePaused ? new SendOnFlushWriter(toClient.Writer, this) : toClient.Writer);
        _application = new DuplexPipe(toClient.Reader, fromClient.Writer);
    }

    private FeatureCollection CreateFeatures()
    {
        // Room for the 7 features set here and the ones Kestrel adds per connection, so the dictionary never grows (each growth copied it).
        var features = new FeatureCollection(initialCapacity: 16);
        features.Set<IConnectionIdFeature>(this);
        features.Set<IConnectionTransportFeature>(this);
        features.Set<IConnectionItemsFeature>(this);
        features.Set<IMemoryPoolFeature>(this);
        features.Set<IConnectionLifetimeFeature>(this);
        features.Set<IConnectionEndPointFeature>(this);
        features.Set<IEventLoopFeature>(this);
        return features;
    }

    public override string ConnectionId
    {
        get => _id ??= "L" + Interlocked.Increment(ref s_lastId).ToString("X8");
        set => _id = value;
    }

    public override IFeatureCollection Features => _features ??= CreateFeatures();

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public EventLoop Loop => _socket.Loop;

    public override CancellationToken ConnectionClosed
    {
        get => _connectionClosedSet ?? ObserveClosed();
        set => _connectionClosedSet = value;
    }

    /// <summary>Someone (Kestrel) reads ConnectionClosed: from now on its cancellation may run their callbacks.</summary>
    private CancellationToken ObserveClosed()
    {
        var closed = Volatile.Read(ref _closed);
        if (closed is not null) return closed.Token;
        var made = new CancellationTokenSource();
        closed = Interlocked.CompareExchange(ref _closed, made, null) ?? made;
        if (!ReferenceEquals(closed, made)) made.Dispose();
        else if (Volatile.Read(ref _closedFired) != 0) closed.Cancel(); // the connection ended before anyone asked
        return closed.Token;
    }

    public override EndPoint? LocalEndPoint { get; set; }

    public override EndPoint? RemoteEndPoint { get; set; }

    /// <summary>
    /// Starts relaying: both loops at once, or, started paused (a front door's), a receive of what came
    /// with the connection, and each loop when it is first needed.
    /// </summary>
    public void Start()
    {
        if (_receiveState != Receiving)
        {
            ReceiveWhatCame();
            return;
        }
        StartReceiveLoop();
        StartSending();
    }

    /// <summary>
    /// One receive into the input pipe while the receive loop has not started: at accept, of what the client sent with its
    /// connection (usually its first request), or when the door waited for that. False when it took nothing.
    /// </summary>
    private bool ReceiveWhatCame()
    {
        var input = _application.Output;
        try
        {
            var buffer = input.GetMemory(MinimumReceive);
            // Nothing yet, or the client closed: the receive loop finds out when the door waits for input.
            if (!_socket.TryReceiveNow(buffer.Span, out var received) || received == 0) return false;
            input.Advance(received);
            // Nothing waits on the pipe and the door has read nothing yet: the flush is done when it returns.
            _ = input.FlushAsync();
            return true;
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false; // the receive loop meets the socket's end when it starts
        }
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    public async ValueTask WaitForFirstInputAsync(CancellationToken cancellationToken)
    {
        // Only the door reads or starts the loop, and it is the one waiting here: the pipe's writer is ours until it resumes.
        if (Volatile.Read(ref _receiveLoop) != LoopNotStarted || _shutdown) return;
        await _socket.WaitReadableAsync(cancellationToken).ConfigureAwait(false);
        if (Volatile.Read(ref _receiveLoop) == LoopNotStarted && !_shutdown) ReceiveWhatCame();
    }

    /// <summary>Wakes a <see cref="WaitForFirstInputAsync"/> (a stop: the listener cancels the pending read first, so the read after it returns at once).</summary>
    public void WakeFirstInputWait()
    {
        // Once the receive loop runs, the wait on the socket is its own: the cancelled pending read already reaches the door.
        if (Volatile.Read(ref _receiveLoop) == LoopNotStarted) _socket.WakeReceiveWait();
    }

    private void StartReceiveLoop()
    {
        if (!TryStartLoop(ref _receiveLoop)) return;
        _ = ReceiveAsync();
    }

    /// <summary>Starts the send loop if it has not started: for a connection started paused, when its output pipe is first flushed or it goes to Kestrel.</summary>
    public void StartSending()
    {
        if (Volatile.Read(ref _sendLoop) != LoopNotStarted || !TryStartLoop(ref _sendLoop)) return;
        _ = SendAsync();
    }

    private bool TryStartLoop(ref int loop)
    {
        Interlocked.Increment(ref _references); // before the loop can exist, so the socket cannot close under it
        if (Interlocked.CompareExchange(ref loop, LoopStarted, LoopNotStarted) == LoopNotStarted) return true;
        Release();
        return false;
    }

    /// <summary>A loop ended, or the connection was disposed: the last one closes the socket.</summary>
    private void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        _socket.Dispose();
        Volatile.Read(ref _released)?.TrySetResult();
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private async ValueTask ReceiveAsync()
    {
        Exception? error = null;
        var input = _application.Output;
        try
        {
            while (true)
            {
                // Paused, and the socket has nothing more: no wait for data (so a socket that has not yet had to wait does not join epoll).
                if (Volatile.Read(ref _receiveState) != Receiving && !_socket.MayBeReadable) await ParkAsync().ConfigureAwait(false);
                if (_shutdown) break;
                // An idle connection holds no buffer: wait for data first, then take memory for it.
                await _socket.WaitReadableAsync().ConfigureAwait(false);
                // Our side has ended the connection (its shutdown is what woke us): what the client sent since is not wanted,
                // so no recv to learn that (HAProxy does not read after its close either).
                if (_shutdown) break;
                var buffer = input.GetMemory(MinimumReceive);
                var received = await _socket.ReceiveAsync(buffer).ConfigureAwait(false);
                if (received == 0) break; // FIN
                input.Advance(received);
                var flushed = await input.FlushAsync().ConfigureAwait(false);
                if (flushed.IsCompleted || flushed.IsCanceled) break;
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            error = new ConnectionResetException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = ex;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unexpected error receiving on connection {ConnectionId}", ConnectionId);
            error = ex;
        }
        finally
        {
            input.Complete(_shutdownReason ?? error);
            // Kestrel disposes a connection only after its ConnectionClosed token fired.
            if (FireConnectionClosed() is { } firing) await firing.ConfigureAwait(false);
            Release();
        }
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private async ValueTask SendAsync()
    {
        Exception? error = null;
        var output = _application.Input;
        try
        {
            while (true)
            {
                var result = await output.ReadAsync().ConfigureAwait(false);
                if (result.IsCanceled) break;
                var buffer = result.Buffer;
                if (!buffer.IsEmpty)
                {
                    await _socket.SendAsync(buffer).ConfigureAwait(false);
                    Volatile.Write(ref _pipeBytesSent, _pipeBytesSent + buffer.Length);
                }
                output.AdvanceTo(buffer.End);
                if (result.IsCompleted) break;
            }
        }
        catch (SocketException ex) when (ex.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
        {
            error = new ConnectionResetException(ex.Message, ex);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            error = ex;
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unexpected error sending on connection {ConnectionId}", ConnectionId);
            error = ex;
        }
        finally
        {
            Shutdown(error);
            output.Complete();
            _application.Output.CancelPendingFlush(); // a receive paused on a full input pipe ends too
            Release();
        }
    }

    /// <summary>Cancels ConnectionClosed if anyone has read it; the task completes when its callbacks have run.</summary>
    private Task? FireConnectionClosed()
    {
        Interlocked.Exchange(ref _closedFired, 1); // a full fence: an ObserveClosed racing with this sees the flag or is seen
        // Served by the front door alone: nobody to tell, no hop to the thread pool (a later reader gets a cancelled token).
        if (Volatile.Read(ref _closed) is not { } closed) return null;
        // Off the loop thread: Kestrel's callbacks on this token may do real work.
        var fired = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        ThreadPool.UnsafeQueueUserWorkItem(static state =>
        {
            state.Closed.Cancel();
            state.Fired.TrySetResult();
        }, (Closed: closed, Fired: fired), preferLocal: false);
        return fired.Task;
    }

    public int TrySendDirect(long flushed, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        // All the writer's flushed bytes are in the socket, and only it writes to the pipe: nothing can go out before these.
        if (Volatile.Read(ref _pipeBytesSent) != flushed || _shutdown) return -1;
        return _socket.TrySendNow(first, second);
    }

    public int TrySpliceDirect(long flushed, SplicePipe pipe, out int writableSeen)
    {
        writableSeen = 0;
        if (Volatile.Read(ref _pipeBytesSent) != flushed || _shutdown) return -1;
        return _socket.TrySpliceFrom(pipe, out writableSeen);
    }

    public ValueTask WaitWritableAsync(int writableSeen, CancellationToken cancellationToken) => _socket.WaitWritableAsync(writableSeen, cancellationToken);

    /// <summary>
    /// Pausing pays only until the socket has joined epoll (it is what keeps it out); after that a paused loop would
    /// just park and wake once more per request, so a kept-alive connection's later requests do not pause.
    /// </summary>
    public void PauseReceiving()
    {
        if (!_socket.IsRegistered) Interlocked.CompareExchange(ref _receiveState, ReceivePaused, Receiving);
    }

    public void ResumeReceiving()
    {
        WakeReceiveLoop();
        if (Volatile.Read(ref _receiveLoop) == LoopNotStarted) StartReceiveLoop();
    }

    /// <summary>The receive loop goes on if it was paused (and continues here, inline, if it was parked).</summary>
    private void WakeReceiveLoop()
    {
        if (Volatile.Read(ref _receiveState) != Receiving && Interlocked.Exchange(ref _receiveState, Receiving) == ReceiveParked) _resumed.SetResult(true);
    }

    /// <summary>The receive loop waits, paused, until resumed (or the connection shuts down).</summary>
    private ValueTask ParkAsync()
    {
        _resumed.Reset();
        if (Interlocked.CompareExchange(ref _receiveState, ReceiveParked, ReceivePaused) != ReceivePaused) return ValueTask.CompletedTask; // resumed meanwhile
        if (_shutdown) WakeReceiveLoop(); // shut down meanwhile: its wake-up may have come before we parked
        return new ValueTask(this, _resumed.Version);
    }

    void IValueTaskSource.GetResult(short token) => _resumed.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _resumed.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _resumed.OnCompleted(continuation, state, token, flags);

    /// <summary>Both directions end: the client sees FIN, and the receive loop wakes with the end of the stream.</summary>
    private void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_shutdown) return;
            // Kestrel's stack, if it has the connection, reads why its input ended; the front door alone does not.
            _shutdownReason = reason ?? (Volatile.Read(ref _closed) is not null ? new ConnectionAbortedException("The connection's send side completed.") : null);
            _shutdown = true; // after the reason: a receive that sees this flag completes its input with it
            _socket.Shutdown();
        }
        WakeReceiveLoop(); // a paused receive loop ends now (outside the lock: it continues inline)
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown(abortReason);
        _application.Input.CancelPendingRead();
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    public override async ValueTask DisposeAsync()
    {
        Transport.Input.Complete();
        Transport.Output.Complete(); // a running send loop ends now, and shuts the socket down
        // A loop that never started does not start now; what it would have done at its end is done here.
        if (Interlocked.CompareExchange(ref _sendLoop, LoopSkipped, LoopNotStarted) == LoopNotStarted)
        {
            Shutdown(null);
            _application.Input.Complete();
        }
        if (Interlocked.CompareExchange(ref _receiveLoop, LoopSkipped, LoopNotStarted) == LoopNotStarted)
        {
            _application.Output.Complete(_shutdownReason);
            if (FireConnectionClosed() is { } firing) await firing.ConfigureAwait(false);
        }
        // Set before the release: a loop that ends after it sees it (one that ended before leaves the release to us).
        if (Volatile.Read(ref _references) > 1) Volatile.Write(ref _released, new TaskCompletionSource());
        var released = _released;
        Release();
        if (released is not null) await released.Task.ConfigureAwait(false);
        _closed?.Dispose();
    }

    /// <summary>The output pipe's writer for a connection started paused: a flush starts the send loop first.</summary>
    private sealed class SendOnFlushWriter(PipeWriter inner, LoopConnection connection) : PipeWriter
    {
        public override void Advance(int bytes) => inner.Advance(bytes);

        public override Memory<byte> GetMemory(int sizeHint = 0) => inner.GetMemory(sizeHint);

        public override Span<byte> GetSpan(int sizeHint = 0) => inner.GetSpan(sizeHint);

        public override bool CanGetUnflushedBytes => inner.CanGetUnflushedBytes;

        public override long UnflushedBytes => inner.UnflushedBytes;

        public override void CancelPendingFlush() => inner.CancelPendingFlush();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask CompleteAsync(Exception? exception = null) => inner.CompleteAsync(exception);

        public override ValueTask<FlushResult> FlushAsync(CancellationToken cancellationToken = default)
        {
            connection.StartSending();
            return inner.FlushAsync(cancellationToken);
        }

        public override ValueTask<FlushResult> WriteAsync(ReadOnlyMemory<byte> source, CancellationToken cancellationToken = default)
        {
            connection.StartSending();
            return inner.WriteAsync(source, cancellationToken);
        }
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
