using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Drover.Core.Io;
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
    // Room for the 7 features set here and the ones Kestrel adds per connection, so the dictionary never grows (each growth copied it).
    private readonly FeatureCollection _features = new(initialCapacity: 16);
    private readonly object _shutdownLock = new();
    private Task? _processing;
    private bool _shutdown;
    private Exception? _shutdownReason;
    private string? _id;
    private IDictionary<object, object?>? _items;

    public LoopConnection(LoopSocket socket, EndPoint? local, EndPoint? remote, MemoryPool<byte> pool, ILogger logger)
    {
        _socket = socket;
        _logger = logger;
        LocalEndPoint = local;
        RemoteEndPoint = remote;
        MemoryPool = pool;
        ConnectionClosed = _closed.Token;
        // Kestrel's defaults for its socket transport: reads pause at 1 MiB unread, writes at 64 KiB unsent.
        var input = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, 1024 * 1024, 512 * 1024, useSynchronizationContext: false);
        var output = new PipeOptions(pool, PipeScheduler.Inline, PipeScheduler.Inline, 64 * 1024, 32 * 1024, useSynchronizationContext: false);
        var fromClient = new Pipe(input);
        var toClient = new Pipe(output);
        Transport = new DuplexPipe(fromClient.Reader, toClient.Writer);
        _application = new DuplexPipe(toClient.Reader, fromClient.Writer);
        _features.Set<IConnectionIdFeature>(this);
        _features.Set<IConnectionTransportFeature>(this);
        _features.Set<IConnectionItemsFeature>(this);
        _features.Set<IMemoryPoolFeature>(this);
        _features.Set<IConnectionLifetimeFeature>(this);
        _features.Set<IConnectionEndPointFeature>(this);
        _features.Set<IEventLoopFeature>(this);
    }

    public override string ConnectionId
    {
        get => _id ??= "L" + Interlocked.Increment(ref s_lastId).ToString("X8");
        set => _id = value;
    }

    public override IFeatureCollection Features => _features;

    public override IDictionary<object, object?> Items
    {
        get => _items ??= new Dictionary<object, object?>();
        set => _items = value;
    }

    public override IDuplexPipe Transport { get; set; }

    public MemoryPool<byte> MemoryPool { get; }

    public EventLoop Loop => _socket.Loop;

    public override CancellationToken ConnectionClosed { get; set; }

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

    private async Task ReceiveAsync()
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

    private async Task SendAsync()
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
            _shutdownReason = reason ?? new ConnectionAbortedException("The connection's send side completed.");
            _socket.Shutdown();
        }
    }

    public override void Abort(ConnectionAbortedException abortReason)
    {
        Shutdown(abortReason);
        _application.Input.CancelPendingRead();
    }

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
