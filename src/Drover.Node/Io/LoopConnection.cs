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
/// </summary>
internal sealed class LoopConnection : ConnectionContext, IConnectionIdFeature, IConnectionTransportFeature, IConnectionItemsFeature,
    IMemoryPoolFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IEventLoopFeature, IReceivePauseFeature, IDirectSendFeature, IValueTaskSource
{
    private const int MinimumReceive = 2048;

    // The receive loop's state (IReceivePauseFeature): running; paused (it waits for no more data); parked (paused, and waiting to be resumed).
    private const int Receiving = 0;
    private const int ReceivePaused = 1;
    private const int ReceiveParked = 2;

    private static long s_lastId;

    private readonly LoopSocket _socket;
    private readonly ILogger _logger;
    private readonly IDuplexPipe _application;
    // Made when first asked for (by Kestrel: a connection the front door serves alone never needs them).
    private FeatureCollection? _features;
    private CancellationTokenSource? _closed;
    private int _closedFired;
    private readonly object _shutdownLock = new();
    private Task? _processing;
    private volatile bool _shutdown;
    private Exception? _shutdownReason;
    private string? _id;
    private IDictionary<object, object?>? _items;
    private CancellationToken? _connectionClosedSet;
    private int _receiveState;
    // Bytes of the output pipe's that the send loop has handed to the socket (IDirectSendFeature compares the writer's count with it).
    private long _pipeBytesSent;
    private ManualResetValueTaskSourceCore<bool> _resumed = new() { RunContinuationsAsynchronously = false };

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
        Transport = new DuplexPipe(fromClient.Reader, toClient.Writer);
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

    /// <summary>Starts relaying; the receive side begins on the socket's loop thread.</summary>
    public void Start() => _processing = RunAsync();

    private async Task RunAsync()
    {
        try
        {
            var receiving = ReceiveAsync();
            var sending = SendAsync();
            await receiving.ConfigureAwait(false);
            await sending.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            _logger.LogError(ex, "Unexpected error on connection {ConnectionId}", ConnectionId);
        }
        finally
        {
            _socket.Dispose();
        }
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
        finally
        {
            input.Complete(_shutdownReason ?? error);
            // Kestrel disposes a connection only after its ConnectionClosed token fired.
            if (FireConnectionClosed() is { } firing) await firing.ConfigureAwait(false);
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
        finally
        {
            Shutdown(error);
            output.Complete();
            _application.Output.CancelPendingFlush(); // a receive paused on a full input pipe ends too
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
        if (Volatile.Read(ref _receiveState) != Receiving && Interlocked.Exchange(ref _receiveState, Receiving) == ReceiveParked) _resumed.SetResult(true);
    }

    /// <summary>The receive loop waits, paused, until resumed (or the connection shuts down).</summary>
    private ValueTask ParkAsync()
    {
        _resumed.Reset();
        if (Interlocked.CompareExchange(ref _receiveState, ReceiveParked, ReceivePaused) != ReceivePaused) return ValueTask.CompletedTask; // resumed meanwhile
        if (_shutdown) ResumeReceiving(); // shut down meanwhile: its wake-up may have come before we parked
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
        ResumeReceiving(); // a paused receive loop ends now (outside the lock: it continues inline)
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
        Transport.Output.Complete();
        if (_processing is not null) await _processing.ConfigureAwait(false);
        _closed?.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
