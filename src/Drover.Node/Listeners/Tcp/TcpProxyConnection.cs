using System.Diagnostics;
using System.Buffers;
using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Buffers;
using Drover.Core.Health;
using Drover.Core.Io;
using Drover.Core.Pools;
using Drover.Core.Tls;
using Drover.Node.Listeners.Http;
using Drover.Node.AccessLog;
using Drover.Node.Pools;
using Drover.Node.Sessions;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Listeners.Tcp;

/// <summary>
/// One proxied TCP connection: optional SNI inspection, a backend connect with failover, then a
/// byte pump in each direction. A pump holds no buffer while its side is idle (it waits with a
/// zero-byte read), so idle connections cost little memory; a half-close on one side is passed
/// on as a half-close to the other. Under the epoll engine both sockets are on the event loop the
/// client was given, so a connection's bytes move on one thread in both directions.
/// </summary>
internal sealed class TcpProxyConnection
{
    public const int BufferSize = 64 * 1024;
    private const int InspectBufferSize = 16 * 1024;

    private readonly IConnectedSocket _client;
    private readonly IPEndPoint? _remote;
    private readonly EventLoop? _loop;
    private readonly TcpProxyServer _server;
    private IConnectedSocket? _backend;
    private Backend? _target;
    private long _lastActivity = Environment.TickCount64;
    private TimeSpan _idleTimeout = Timeout.InfiniteTimeSpan;
    private int _aborted;
    private bool _idleClosed;
    private AccessLogEnd _end = AccessLogEnd.Ok;
    private int _retries;
    private double _queueMs = -1;
    private double _connectMs = -1;

    /// <param name="loop">The client socket's event loop (the backend connection joins it), or null on .NET's socket engine.</param>
    public TcpProxyConnection(long id, IConnectedSocket client, IPEndPoint? remote, EventLoop? loop, TcpProxyServer server)
    {
        Id = id;
        _client = client;
        _remote = remote;
        _loop = loop;
        _server = server;
    }

    public long Id { get; }
    public long BytesIn;
    public long BytesOut;

    public bool IsIdle(long now) =>
        _idleTimeout != Timeout.InfiniteTimeSpan && now - Volatile.Read(ref _lastActivity) > (long)_idleTimeout.TotalMilliseconds;

    public async Task RunAsync(CancellationToken stopping)
    {
        byte[]? peeked = null;
        var peekedLength = 0;
        Backend? backend = null;
        PoolHandle? logPool = null;
        var started = Stopwatch.GetTimestamp();
        var client = _server.AccessLog.Enabled ? ClientText() : null;
        try
        {
            var routes = _server.Routes; // once: a reload may swap them while this connection starts
            PoolHandle? pool = routes.Pool;
            if (routes.Sni is { } sni)
            {
                (peeked, peekedLength, var serverName, var ok) = await InspectClientHelloAsync(stopping);
                if (!ok) return;
                pool = sni.Match(serverName);
                if (pool is null)
                {
                    _server.Log.LogDebug("listener {Listener}: no route for server name '{ServerName}', closing", _server.Name, serverName);
                    return;
                }
            }

            var snapshot = pool!.Snapshot;
            logPool = pool;
            _idleTimeout = snapshot.Config.Timeouts.Idle;
            (backend, _backend) = await ConnectAsync(pool, snapshot, stopping);
            if (_backend is null) return;
            _target = backend;
            backend!.CountConnection();

            if (peekedLength > 0)
            {
                await _backend.SendAsync(peeked.AsMemory(0, peekedLength), CancellationToken.None);
                CountBytes(toBackend: true, peekedLength);
            }
            if (peeked is not null)
            {
                ArrayPool<byte>.Shared.Return(peeked);
                peeked = null;
            }

            var upstream = PumpAsync(_client, _backend, toBackend: true);
            var downstream = PumpAsync(_backend, _client, toBackend: false);
            await Task.WhenAll(upstream, downstream);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or OperationCanceledException or IOException)
        {
            // A peer reset or we aborted (idle, shutdown): the connection simply ends.
            if (_end == AccessLogEnd.Ok && !_idleClosed && ex is SocketException { SocketErrorCode: SocketError.ConnectionReset }) _end = AccessLogEnd.BackendReset;
        }
        catch (Exception ex)
        {
            _server.Log.LogError(ex, "listener {Listener}: connection {Id} failed", _server.Name, Id);
        }
        finally
        {
            backend?.OnEnd();
            if (peeked is not null) ArrayPool<byte>.Shared.Return(peeked);
            Close();
            if (client is not null) WriteAccessLog(client, logPool, backend, started);
        }
    }

    private void WriteAccessLog(string client, PoolHandle? pool, Backend? backend, long started)
    {
        var end = _idleClosed ? AccessLogEnd.IdleTimeout : pool is null ? AccessLogEnd.NoRoute : _end;
        _server.AccessLog.Write(new AccessLogEntry(DateTime.UtcNow, Tcp: true, client, _server.Name, pool?.Name, backend?.Id,
            Method: null, Target: null, Status: 0, Interlocked.Read(ref BytesIn), Interlocked.Read(ref BytesOut),
            _queueMs, _connectMs, TtfbMs: -1, Stopwatch.GetElapsedTime(started).TotalMilliseconds, _retries, end));
    }

    private string ClientText() => _remote?.ToString() ?? "-";

    /// <summary>
    /// Closes both sides now; the pumps see the sockets go away and finish. <paramref name="graceful"/>
    /// (idle timeout, shutdown) first sends FIN both ways, so peers see an orderly end of stream rather
    /// than a reset (disposing a socket with a receive pending is abortive on Linux).
    /// </summary>
    public void Abort(bool graceful = false, bool idle = false)
    {
        if (Interlocked.Exchange(ref _aborted, 1) != 0) return;
        _idleClosed = idle;
        if (graceful)
        {
            ShutdownQuietly(_client);
            if (_backend is { } backend) ShutdownQuietly(backend);
        }
        Close();
    }

    private static void ShutdownQuietly(IConnectedSocket socket)
    {
        try
        {
            socket.Shutdown();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    private void Close()
    {
        _client.Dispose();
        _backend?.Dispose();
    }

    /// <summary>
    /// Reads until the bytes so far hold a complete ClientHello, within the listener's inspect delay.
    /// The bytes are kept to be replayed to the backend. Returns ok = false to close the connection.
    /// </summary>
    private async Task<(byte[]? Buffer, int Length, string? ServerName, bool Ok)> InspectClientHelloAsync(CancellationToken stopping)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(InspectBufferSize);
        var length = 0;
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(_server.InspectDelay);
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, ClientHelloParser.MaxClientHelloBytes));
                    buffer.AsSpan(0, length).CopyTo(bigger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = bigger;
                }
                var read = await _client.ReceiveAsync(buffer.AsMemory(length), deadline.Token);
                if (read == 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return (null, 0, null, false);
                }
                length += read;
                var result = ClientHelloParser.Parse(buffer.AsSpan(0, length));
                switch (result.Status)
                {
                    case ClientHelloStatus.Complete:
                        return (buffer, length, result.ServerName, true);
                    case ClientHelloStatus.Invalid:
                        _server.Log.LogDebug("listener {Listener}: not a usable TLS ClientHello ({Error}), closing", _server.Name, result.Error);
                        ArrayPool<byte>.Shared.Return(buffer);
                        return (null, 0, null, false);
                }
            }
        }
        catch (OperationCanceledException) when (!stopping.IsCancellationRequested)
        {
            _server.Log.LogDebug("listener {Listener}: no complete ClientHello within {Delay}, closing", _server.Name, _server.InspectDelay);
            ArrayPool<byte>.Shared.Return(buffer);
            return (null, 0, null, false);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    /// <summary>
    /// A backend with a free slot (waiting in the pool's queue when all are full) and a connection to
    /// it; its start is counted, and the caller ends it. A connect failure goes to another backend
    /// while tries remain and the retry budget allows (nothing was sent, so it is always safe).
    /// </summary>
    private async Task<(Backend?, IConnectedSocket?)> ConnectAsync(PoolHandle pool, PoolSnapshot snapshot, CancellationToken stopping)
    {
        var client = _remote?.Address;
        var hash = snapshot.NeedsHash ? RequestHashing.HashAddress(client) : 0;
        var pick = new PickContext(hash);
        var sticky = pool.Sessions is { } sessions ? await StickyRequest.ForTcpAsync(sessions, client, snapshot) : null;
        var maxTries = pool.Retries.MaxTries;
        var waited = Stopwatch.GetTimestamp();
        for (var attempt = 0; attempt < maxTries; attempt++)
        {
            var acquired = sticky is null ? await pool.AcquireAsync(snapshot, pick, stopping) : await sticky.AcquireAsync(snapshot, pick, stopping);
            if (attempt == 0) _queueMs = Stopwatch.GetElapsedTime(waited).TotalMilliseconds;
            if (acquired.Backend is not { } backend)
            {
                _end = acquired.Failure switch
                {
                    AcquireFailure.QueueFull => AccessLogEnd.QueueFull,
                    AcquireFailure.QueueTimeout => AccessLogEnd.QueueTimeout,
                    _ when attempt > 0 => AccessLogEnd.ConnectFailed,
                    _ => AccessLogEnd.NoBackend,
                };
                _server.Log.LogDebug("listener {Listener}: pool {Pool} has no backend to take the connection ({Reason})", _server.Name, pool.Name, acquired.Failure);
                return (null, null);
            }
            snapshot = acquired.Snapshot;
            pick = pick.Exclude(acquired.Index);
            sticky?.OnAttempt(backend);
            if (attempt > 0) backend.OnRetry();
            _retries = attempt;
            var connecting = Stopwatch.GetTimestamp();
            try
            {
                var socket = await BackendConnector.ConnectAsync(backend.EndPoint, snapshot.Config.Timeouts.Connect, _loop, stopping);
                _connectMs = Stopwatch.GetElapsedTime(connecting).TotalMilliseconds;
                backend.OnSuccess();
                return (backend, socket);
            }
            catch (BackendConnectException ex)
            {
                backend.OnEnd();
                pool.ReportFailure(backend, ex.Message);
                if (sticky is not null) await sticky.OnConnectFailedAsync(backend, snapshot);
                if (!pool.MayRetry(RetryOn.ConnectFailure)) break;
            }
        }
        _server.Log.LogDebug("listener {Listener}: no backend of pool {Pool} could be connected", _server.Name, pool.Name);
        _end = AccessLogEnd.ConnectFailed;
        return (null, null);
    }

    private async Task PumpAsync(IConnectedSocket from, IConnectedSocket to, bool toBackend)
    {
        BlockMemoryPool.Block? buffer = null;
        try
        {
            while (true)
            {
                if (buffer is null)
                {
                    // Wait for data without holding a buffer: an idle connection costs no buffer memory.
                    await from.WaitReadableAsync(CancellationToken.None);
                    buffer = BlockMemoryPool.Proxy.RentBlock(BufferSize);
                }
                var read = await from.ReceiveAsync(buffer.Memory, CancellationToken.None);
                if (read == 0) break;
                Volatile.Write(ref _lastActivity, Environment.TickCount64);
                CountBytes(toBackend, read);
                await to.SendAsync(buffer.Memory[..read], CancellationToken.None);
                if (read < BufferSize)
                {
                    // Drained what was there; give the buffer back until more arrives.
                    buffer.Dispose();
                    buffer = null;
                }
            }
            // End of stream from one side: pass the half-close on, keep the other direction open.
            to.ShutdownSend();
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException or IOException)
        {
            Abort();
        }
        finally
        {
            buffer?.Dispose();
        }
    }

    /// <summary>Counts bytes on the connection, its listener and its backend (in: client to backend; out: back).</summary>
    private void CountBytes(bool toBackend, int count)
    {
        if (toBackend)
        {
            Interlocked.Add(ref BytesIn, count);
            _server.Counters.AddBytesIn(count);
            _target?.AddBytesIn(count);
        }
        else
        {
            Interlocked.Add(ref BytesOut, count);
            _server.Counters.AddBytesOut(count);
            _target?.AddBytesOut(count);
        }
    }
}
