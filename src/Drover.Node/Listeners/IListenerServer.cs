using System.Net;

namespace Drover.Node.Listeners;

/// <summary>The socket side of a listener, driven by its <see cref="ListenerActor"/>.</summary>
public interface IListenerServer : IAsyncDisposable
{
    /// <summary>Binds and starts accepting; returns the bound endpoint (the real port when bound to port 0).</summary>
    Task<EndPoint> StartAsync(CancellationToken cancellationToken);

    /// <summary>Stops accepting, lets work in flight finish up to <paramref name="drain"/>, then closes what is left.</summary>
    Task StopAsync(TimeSpan drain);

    /// <summary>
    /// A reload changed the listener's routes (or the pools they reach) but not its socket: what is
    /// accepted from now on follows <paramref name="routes"/>; the listening socket and every open
    /// connection stay.
    /// </summary>
    void Reroute(ListenerRoutes routes);

    /// <summary>Requests (HTTP) or connections (TCP) in flight now.</summary>
    int InFlight { get; }

    /// <summary>What drives this listener's sockets: "epoll" (Drover's event loops) or "sockets" (.NET's engine).</summary>
    string Engine { get; }
}
