using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
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
    IMemoryPoolFeature, IConnectionLifetimeFeature, IConnectionEndPointFeature, IEventLoopFeature
{
    private const int MinimumReceive = 2048;

    private static long s_lastId;

    private readonly LoopSocket _socket;
    private readonly ILogger _logger;
    private readonly IDuplexPipe _application;
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _closedFired = new(TaskCreationOptions.RunContinuationsAsynchronously);
    // Made when first asked for (by Kestrel: a connection the front door serves alone never needs it).
    private FeatureCollection? _features;
    private readonly object _shutdownLock = new();
    private Task? _processing;
    private bool _shutdown;
    private Exception? _shutdownReason;
    private string? _id;
    private IDictionary<object, object?>? _items;
    private CancellationToken _connectionClosed;
    // Set once Kestrel (or anyone) has read ConnectionClosed: only then can its cancellation run callbacks.
    private bool _closedObserved;

    public LoopConnection(LoopSocket socket, EndPoint? local, EndPoint? remote, LoopPipeOptions options, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        MemoryPool = options.Input.Pool;
        _connectionClosed = _closed.Token;
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
        get
        {
            Volatile.Write(ref _closedObserved, true);
            return _connectionClosed;
        }
        set => _connectionClosed = value;
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
                // An idle connection holds no buffer: wait for data first, then take memory for it.
                await _socket.WaitReadableAsync().ConfigureAwait(false);
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
            FireConnectionClosed();
            // Kestrel disposes a connection only after its ConnectionClosed token fired.
            await _closedFired.Task.ConfigureAwait(false);
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
                if (!buffer.IsEmpty) await _socket.SendAsync(buffer).ConfigureAwait(false);
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

    private void FireConnectionClosed()
    {
        if (!Volatile.Read(ref _closedObserved))
        {
            // Served by the front door alone: no callbacks to run, so no hop to the thread pool.
            _closed.Cancel();
            _closedFired.TrySetResult();
            return;
        }
        // Off the loop thread: Kestrel's callbacks on this token may do real work.
        ThreadPool.UnsafeQueueUserWorkItem(static connection =>
        {
            connection._closed.Cancel();
            connection._closedFired.TrySetResult();
        }, this, preferLocal: false);
    }

    /// <summary>Both directions end: the client sees FIN, and the receive loop wakes with the end of the stream.</summary>
    private void Shutdown(Exception? reason)
    {
        lock (_shutdownLock)
        {
            if (_shutdown) return;
            _shutdown = true;
            // Kestrel's stack, if it has the connection, reads why its input ended; the front door alone does not.
            _shutdownReason = reason ?? (Volatile.Read(ref _closedObserved) ? new ConnectionAbortedException("The connection's send side completed.") : null);
            _socket.Shutdown();
        }
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
        _closed.Dispose();
    }

    private sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;
        public PipeWriter Output { get; } = output;
    }
}
