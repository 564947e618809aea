using System.Collections.Concurrent;
using Drover.Core.Io;
using Drover.Core.Pools;

namespace Drover.Node.Pools;

/// <summary>
/// Idle keep-alive connections to one backend for the HTTP/1.1 fast path, in a lock-free queue
/// (a <see cref="ConcurrentQueue{T}"/> reuses its ring segments, so renting and returning allocate
/// nothing, unlike a stack's per-push node). Connections idle longer than <see cref="MaxIdle"/> are
/// dropped when met.
/// </summary>
public sealed class BackendConnectionPool(Backend backend, TimeSpan connectTimeout)
{
    /// <summary>Below the usual keep-alive timeouts of backends (nginx 75 s, Kestrel 130 s).</summary>
    public static readonly TimeSpan MaxIdle = TimeSpan.FromSeconds(50);
    public const int MaxIdleConnections = 512;

    private readonly ConcurrentQueue<BackendConnection> _idle = new();

    public Backend Backend { get; } = backend;

    /// <summary>The pool's <c>timeouts.connect</c>; a reload may change it.</summary>
    public TimeSpan ConnectTimeout { get; set; } = connectTimeout;

    public int IdleCount => _idle.Count;

    /// <summary>An idle connection, or a new one. Throws <see cref="BackendConnectException"/> when connecting fails.</summary>
    /// <param name="loop">The client connection's event loop, if it runs on one: a new connection joins it.</param>
    public ValueTask<BackendConnection> RentAsync(CancellationToken cancellationToken, EventLoop? loop = null)
    {
        var now = Environment.TickCount64;
        while (_idle.TryDequeue(out var connection))
        {
            if (now - connection.IdleSince < (long)MaxIdle.TotalMilliseconds) return ValueTask.FromResult(connection);
            connection.Abort();
        }
        return ConnectAsync(cancellationToken, loop);
    }

    /// <summary>A new connection, never an idle one (to resend after a pooled one turned out closed).</summary>
    public async ValueTask<BackendConnection> ConnectAsync(CancellationToken cancellationToken, EventLoop? loop = null)
    {
        var socket = await BackendConnector.ConnectAsync(Backend.EndPoint, ConnectTimeout, loop, cancellationToken).ConfigureAwait(false);
        return new BackendConnection(socket);
    }

    public void Return(BackendConnection connection)
    {
        if (connection.HasLeftovers)
        {
            connection.Abort(); // bytes past the response's end: the next request would read them as its answer
            return;
        }
        connection.ReleaseBuffer();
        connection.IdleSince = Environment.TickCount64;
        connection.Uses++;
        if (_idle.Count >= MaxIdleConnections)
        {
            connection.Abort();
            return;
        }
        _idle.Enqueue(connection);
    }

    public void Clear()
    {
        while (_idle.TryDequeue(out var connection)) connection.Abort();
    }
}
