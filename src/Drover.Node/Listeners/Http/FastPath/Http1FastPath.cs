using Drover.Core.Routing;
using Drover.Node.AccessLog;
using Drover.Node.Pools;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>
/// The HTTP/1.1 fast path, a Kestrel connection middleware in front of Kestrel's HTTP stack. Plain
/// keep-alive HTTP/1.1 requests that a strict parser accepts are proxied here over pooled backend
/// connections, without the ASP.NET pipeline, HttpContext or HttpClient. Anything else (HTTP/2,
/// h2c, upgrades, chunked or Expect requests, HTTP/1.0, absolute URIs, escaped paths, cookie
/// hashing, no matching route, or bytes the parser rejects) goes, with all its bytes unconsumed, to
/// Kestrel and the YARP-based <see cref="HttpProxyHandler"/> for the rest of the connection. Kestrel's
/// parser stays the authority on malformed input: the fast path never answers 400 itself.
/// </summary>
public sealed class Http1FastPath(RouteTable<PoolHandle> routes, ListenerTimeouts timeouts, string listener = "", AccessLogWriter? accessLog = null,
    ListenerCounters? counters = null)
{
    public string Listener { get; } = listener;

    public AccessLogWriter AccessLog { get; } = accessLog ?? AccessLogWriter.Disabled;

    /// <summary>The listener's counters: the fast path counts the responses it sends.</summary>
    public ListenerCounters Counters { get; } = counters ?? new ListenerCounters();

    /// <summary>Keep-alive idle and request-head deadlines, the same that Kestrel's stack applies after a hand-over.</summary>
    public ListenerTimeouts Timeouts
    {
        get => Volatile.Read(ref _timeouts);
        set => Volatile.Write(ref _timeouts, value);
    }

    private ListenerTimeouts _timeouts = timeouts;
    private RouteTable<PoolHandle> _routes = routes;

    private long _served;
    private long _handedOver;

    /// <summary>Read once per request; a reload swaps it (<see cref="IListenerServer.Reroute"/>) while connections stay open.</summary>
    public RouteTable<PoolHandle> Routes
    {
        get => Volatile.Read(ref _routes);
        set => Volatile.Write(ref _routes, value);
    }

    /// <summary>Requests proxied by the fast path.</summary>
    public long Served => Volatile.Read(ref _served);

    /// <summary>Connections handed to Kestrel's HTTP stack (each carries on there to its end).</summary>
    public long HandedOver => Volatile.Read(ref _handedOver);

    internal void CountServed(int status)
    {
        Interlocked.Increment(ref _served);
        Counters.CountStatus(status);
    }

    public async Task RunAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        var handOver = await new FastPathConnection(this, connection).ServeAsync();
        if (!handOver) return;
        Interlocked.Increment(ref _handedOver);
        await next(connection);
    }
}

public static class Http1FastPathExtensions
{
    public static IConnectionBuilder UseHttp1FastPath(this ListenOptions listen, Http1FastPath fastPath) =>
        listen.Use(next => connection => fastPath.RunAsync(connection, next));
}
