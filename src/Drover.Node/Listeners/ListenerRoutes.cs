using Drover.Core.Routing;
using Drover.Node.Listeners.Http;
using Drover.Node.Pools;

namespace Drover.Node.Listeners;

/// <summary>
/// Where a listener sends what it accepts, compiled from its config against the pools' handles. A
/// reload that keeps the listener's socket swaps in a new one (one reference write); requests and
/// connections that already matched keep the pool they matched.
/// </summary>
/// <param name="Http">HTTP: the route table.</param>
/// <param name="Timeouts">HTTP: the client-side timeouts of the pools the routes reach.</param>
/// <param name="Pool">TCP: the pool for every connection, or the fallback of the SNI routes.</param>
/// <param name="Sni">TCP: routes by server name; null without <c>sni-routes</c>.</param>
/// <param name="InspectDelay">TCP with SNI routes: how long to wait for a ClientHello.</param>
public sealed record ListenerRoutes(
    RouteTable<PoolHandle>? Http,
    ListenerTimeouts Timeouts,
    PoolHandle? Pool,
    SniRouteTable<PoolHandle>? Sni,
    TimeSpan InspectDelay);
