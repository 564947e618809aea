using Drover.Core.Configuration;

namespace Drover.Core.Routing;

/// <summary>An HTTP listener's routes, compiled once; the first route that matches wins.</summary>
public sealed class RouteTable<TTarget>
{
    private readonly Route<TTarget>[] _routes;

    public RouteTable(IEnumerable<Route<TTarget>> routes) => _routes = routes.ToArray();

    public IReadOnlyList<Route<TTarget>> Routes => _routes;

    /// <summary>
    /// Compiles config routes; <paramref name="resolve"/> maps a pool name to the target. Patterns were
    /// checked by the validator, so a bad one here is a programming error.
    /// </summary>
    public static RouteTable<TTarget> Compile(IReadOnlyList<RouteConfig> routes, Func<string, TTarget> resolve)
    {
        var compiled = new List<Route<TTarget>>(routes.Count);
        foreach (var r in routes)
        {
            if (!HostPattern.TryParse(r.Host, out var host, out var error))
                throw new ArgumentException(error, nameof(routes));
            var description = $"host={host} path-prefix={r.PathPrefix}"
                + (r.HeaderName is null ? "" : $" header={r.HeaderName}{(r.HeaderValue is null ? "" : "=" + r.HeaderValue)}")
                + (r.Methods is { Count: > 0 } ? $" methods={string.Join(',', r.Methods)}" : "")
                + $" -> {r.Pool}";
            compiled.Add(new Route<TTarget>(host, r.PathPrefix, r.HeaderName, r.HeaderValue,
                r.Methods?.ToArray() ?? [], resolve(r.Pool), description));
        }
        return new RouteTable<TTarget>(compiled);
    }

    /// <summary>The first matching route, or null. <paramref name="host"/> may carry a port; it is ignored.</summary>
    public Route<TTarget>? Match<THeaders>(ReadOnlySpan<char> host, ReadOnlySpan<char> path, string method, ref THeaders headers)
        where THeaders : IRequestHeaders, allows ref struct
    {
        host = StripPort(host);
        foreach (var route in _routes)
            if (route.Matches(host, path, method, ref headers)) return route;
        return null;
    }

    /// <summary>"example.org:8080" -> "example.org"; "[::1]:80" -> "[::1]"; a trailing dot is dropped.</summary>
    public static ReadOnlySpan<char> StripPort(ReadOnlySpan<char> host)
    {
        var colon = host.LastIndexOf(':');
        if (colon >= 0 && host.IndexOf(']') < colon) host = host[..colon];
        if (host.Length > 1 && host[^1] == '.') host = host[..^1];
        return host;
    }
}
