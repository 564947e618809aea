using Drover.Core.Net;

namespace Drover.Core.Configuration;

/// <summary><c>drover.listeners.NAME</c>.</summary>
/// <param name="Pool">TCP: the pool for every connection, or the fallback when SNI routes do not match. HTTP: unused.</param>
/// <param name="InspectDelay">TCP with SNI routes: how long to wait for a complete ClientHello.</param>
/// <param name="FastPath">HTTP: serve plain HTTP/1.1 requests on the connection-level fast path (everything else takes the full pipeline).</param>
public sealed record ListenerConfig(
    string Name,
    ListenerMode Mode,
    HostPort Bind,
    IReadOnlyList<RouteConfig> Routes,
    string? Pool,
    IReadOnlyList<SniRouteConfig> SniRoutes,
    TimeSpan InspectDelay,
    bool FastPath = true)
{
    public static readonly TimeSpan DefaultInspectDelay = TimeSpan.FromSeconds(5);

    public string Path => $"drover.listeners.{Name}";
}
