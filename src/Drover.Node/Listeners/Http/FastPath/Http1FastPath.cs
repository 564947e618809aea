using System.Runtime.CompilerServices;
using Drover.Core.Configuration;
using Drover.Core.Io;
using Drover.Core.Routing;
using Drover.Core.Threading;
using Drover.Node.AccessLog;
using Drover.Node.Io;
using Drover.Node.Pools;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>
/// The HTTP/1.1 fast path, in front of Kestrel's HTTP stack: on the epoll engine the listener's
/// <see cref="IConnectionFrontDoor"/> (connections reach it before Kestrel), on .NET sockets a
/// Kestrel connection middleware. Plain
/// keep-alive HTTP/1.1 requests that a strict parser accepts are proxied here over pooled backend
/// connections, without the ASP.NET pipeline, HttpContext or HttpClient. Anything else (HTTP/2,
/// h2c, upgrades, chunked or Expect requests, HTTP/1.0, absolute URIs, escaped paths, cookie
/// hashing, no matching route, or bytes the parser rejects) goes, with all its bytes unconsumed, to
/// Kestrel and the YARP-based <see cref="HttpProxyHandler"/> for the rest of the connection. Kestrel's
/// parser stays the authority on malformed input: the fast path never answers 400 itself.
/// </summary>
public sealed class Http1FastPath(RouteTable<PoolHandle> routes, ListenerTimeouts timeouts, string listener = "", AccessLogWriter? accessLog = null,
    ListenerCounters? counters = null) : IConnectionFrontDoor
{
    public string Listener { get; } = listener;

    public AccessLogWriter AccessLog { get; } = accessLog ?? AccessLogWriter.Disabled;

    /// <summary>The listener's counters: the fast path counts the responses it sends.</summary>
    public ListenerCounters Counters { get; } = counters ?? new ListenerCounters();

    /// <summary>
    /// Response bodies with at least this many bytes left after the head's read go from the backend's
    /// socket to the client's by splice(2) (epoll engine only); 0: every body is copied (<c>drover.io.splice = off</c>).
    /// </summary>
    public int SpliceMinimum { get; init; } = SpliceMinimumFor(IoConfig.Default);

    /// <summary>The <see cref="SpliceMinimum"/> that <paramref name="io"/> asks for where this machine can splice.</summary>
    public static int SpliceMinimumFor(IoConfig io) => io.Splice && SplicePipe.IsSupported ? IoConfig.SpliceMinimum : 0;

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
    private long _spliced;

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

    /// <summary>Response body bytes moved from backends to clients by splice(2) rather than copied (<see cref="SpliceMinimum"/>).</summary>
    public long SplicedBytes => Volatile.Read(ref _spliced);

    internal void AddSpliced(long bytes) => Interlocked.Add(ref _spliced, bytes);

    internal void CountServed(int status)
    {
        Interlocked.Increment(ref _served);
        Counters.CountStatus(status);
    }

    /// <summary>As a Kestrel connection middleware (the .NET sockets engine): Kestrel accepted the connection.</summary>
    public async Task RunAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        // A connection the epoll engine's front door already served and gave up on goes straight on.
        if (connection.Features.Get<HandedOverByFastPath>() is null)
        {
            var closeRequested = connection.Features.Get<IConnectionLifetimeNotificationFeature>()?.ConnectionClosedRequested ?? default;
            if (!await new FastPathConnection(this, connection, closeRequested).ServeAsync()) return;
            Interlocked.Increment(ref _handedOver);
        }
        await next(connection);
    }

    /// <summary>
    /// As the epoll engine's front door (<see cref="IConnectionFrontDoor"/>): the connection is served here,
    /// on its event loop, before Kestrel knows of it. True when it must go to Kestrel after all.
    /// </summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    async ValueTask<bool> IConnectionFrontDoor.ServeAsync(ConnectionContext connection, CancellationToken closeRequested)
    {
        Counters.OnConnectionOpened();
        var handOver = false;
        try
        {
            // The listener cancels the connection's pending read when it requests the close (see IConnectionFrontDoor).
            handOver = await new FastPathConnection(this, connection, closeRequested, wakeOnCloseRequest: false, connection as IReceivePauseFeature,
                connection as IDirectSendFeature).ServeAsync();
            return handOver;
        }
        finally
        {
            if (handOver)
            {
                Interlocked.Increment(ref _handedOver);
                connection.Features.Set(HandedOverByFastPath.Instance); // counted once, and not served here twice
            }
            else
            {
                Counters.OnConnectionClosed();
            }
        }
    }

    /// <summary>The fast path resumes a connection's receive loop before each read that may wait (see <see cref="FastPathConnection"/>).</summary>
    bool IConnectionFrontDoor.ReceivesOnDemand => true;

    /// <summary>A connection handed over after the listener stopped accepting: it closed instead.</summary>
    void IConnectionFrontDoor.Dropped(ConnectionContext connection) => Counters.OnConnectionClosed();
}

public static class Http1FastPathExtensions
{
    public static IConnectionBuilder UseHttp1FastPath(this ListenOptions listen, Http1FastPath fastPath) =>
        listen.Use(next => connection => fastPath.RunAsync(connection, next));
}
