using System.Net;

namespace Drover.Node.Listeners;

/// <summary>Messages between the load balancer actor and its listener actors.</summary>
public static class ListenerProtocol
{
    public sealed record Bound(string Listener, EndPoint EndPoint);

    public sealed record BindFailed(string Listener, string Reason);

    /// <summary>Stop accepting and drain; the listener answers <see cref="Unbound"/> and stops.</summary>
    public sealed record Unbind(TimeSpan Drain);

    public sealed record Unbound(string Listener);

    /// <summary>A reload changed where the listener sends traffic but kept its socket: swap the routes in place; answered with <see cref="Rerouted"/>.</summary>
    public sealed record Reroute(ListenerRoutes Routes);

    public sealed record Rerouted
    {
        public static readonly Rerouted Instance = new();
    }
}
