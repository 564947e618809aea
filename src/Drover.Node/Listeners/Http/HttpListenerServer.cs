using Drover.Node.Hosting;
using System.Net;
using Drover.Core.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Drover.Node.Listeners.Http.FastPath;
using Yarp.ReverseProxy.Forwarder;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// An L7 listener: its own Kestrel server (HTTP/1.1 and h2c on one port) whose only middleware is
/// the <see cref="HttpProxyHandler"/>. One server per listener lets listeners bind, drain and
/// unbind independently of each other.
/// </summary>
public sealed class HttpListenerServer(ListenerConfig config, Func<IHttpForwarder, HttpProxyHandler> handlerFactory, ILoggerFactory loggerFactory,
    ListenerTimeouts timeouts, Http1FastPath? fastPath = null, ListenerCounters? counters = null, IoEngine engine = IoEngine.Epoll) : IListenerServer
{
    private WebApplication? _app;
    private HttpProxyHandler? _handler;
    private ListenerRoutes? _rerouted;
    private int _inFlight;

    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Connections and responses of this listener (the fast path counts into the same object).</summary>
    public ListenerCounters Counters { get; } = counters ?? fastPath?.Counters ?? new ListenerCounters();

    public async Task<EndPoint> StartAsync(CancellationToken cancellationToken)
    {
        var builder = EmbeddedWebApp.CreateBuilder(); // configured by the drover section, not ASPNETCORE_* variables
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.Services.AddHttpForwarder();
        // With inline socket completions (DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=1), Kestrel's
        // pipes should run inline too; otherwise every read still hops to a thread-pool thread.
        builder.WebHost.UseSockets(sockets => sockets.UnsafePreferInlineScheduling = InlineCompletions);
        if (UsesEventLoops)
        {
            builder.Services.AddSingleton<IConnectionListenerFactory, Io.LoopTransportFactory>(); // registered last: Kestrel takes it
            // On the loops the fast path serves connections before Kestrel (no thread-pool hop per connection).
            if (fastPath is not null) builder.Services.AddSingleton<Io.IConnectionFrontDoor>(fastPath);
        }
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.AllowAlternateSchemes = true; // h2c requests carry :scheme http on a connection Kestrel sees as "h2"
            kestrel.Limits.MaxRequestBodySize = null; // bodies stream through; the backend decides what is too big
            kestrel.Limits.RequestHeadersTimeout = timeouts.RequestHeaders; // slowloris: 408 and close
            kestrel.Limits.KeepAliveTimeout = timeouts.Idle;
            kestrel.Listen((IPEndPoint)ResolveBind(config), listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.Use(next => connection => CountConnectionAsync(connection, next));
                // Order matters: the fast path sees the first bytes; what it hands over (h2c's
                // preface among them) reaches the h2c detector and then Kestrel's HTTP stack.
                if (fastPath is not null) listen.UseHttp1FastPath(fastPath);
                listen.UseH2cPriorKnowledge();
            });
        });

        var app = builder.Build();
        var handler = handlerFactory(app.Services.GetRequiredService<IHttpForwarder>());
        _handler = handler;
        if (Volatile.Read(ref _rerouted) is { } rerouted) Reroute(rerouted); // a reload that came while binding
        app.Run(async context =>
        {
            Interlocked.Increment(ref _inFlight);
            try
            {
                await handler.HandleAsync(context);
                Counters.CountStatus(context.Response.StatusCode);
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        });

        handler.Counters = Counters; // body bytes of forwarded requests count on the listener too
        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        return new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    public void Reroute(ListenerRoutes routes)
    {
        Volatile.Write(ref _rerouted, routes);
        if (routes.Http is null) return;
        if (fastPath is not null)
        {
            fastPath.Routes = routes.Http;
            fastPath.Timeouts = routes.Timeouts;
        }
        if (_handler is { } handler) handler.Routes = routes.Http;
        // Kestrel reads its limits when it needs them, so new connections and requests get the new timeouts.
        if (_app?.Services.GetService<Microsoft.Extensions.Options.IOptions<KestrelServerOptions>>()?.Value is { } kestrel)
        {
            kestrel.Limits.RequestHeadersTimeout = routes.Timeouts.RequestHeaders;
            kestrel.Limits.KeepAliveTimeout = routes.Timeouts.Idle;
        }
    }

    private async Task CountConnectionAsync(ConnectionContext connection, ConnectionDelegate next)
    {
        // The epoll engine's front door counted the connections it hands over when it accepted them.
        if (connection.Features.Get<HandedOverByFastPath>() is null) Counters.OnConnectionOpened();
        try
        {
            await next(connection);
        }
        finally
        {
            Counters.OnConnectionClosed();
        }
    }

    /// <summary>True when this listener's connections run on Drover's event loops (<c>drover.io.engine = epoll</c>, on Linux).</summary>
    public bool UsesEventLoops { get; } = EngineFor(engine) == IoEngine.Epoll;

    public string Engine => UsesEventLoops ? "epoll" : "sockets";

    /// <summary>The engine a listener gets: epoll only where it exists (Linux), .NET sockets elsewhere.</summary>
    internal static IoEngine EngineFor(IoEngine configured) =>
        configured == IoEngine.Epoll && !Drover.Core.Io.EventLoopGroup.IsSupported ? IoEngine.Sockets : configured;

    private static readonly bool InlineCompletions =
        Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") == "1";

    private static EndPoint ResolveBind(ListenerConfig config) => config.Bind.ToEndPoint();

    public async Task StopAsync(TimeSpan drain)
    {
        if (_app is null) return;
        using var deadline = new CancellationTokenSource(drain);
        // Kestrel stops accepting, lets requests in flight finish until the deadline, then aborts the rest.
        await _app.StopAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is null) return;
        try
        {
            await app.StopAsync(new CancellationToken(canceled: true));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
