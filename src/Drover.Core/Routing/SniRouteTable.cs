using Drover.Core.Configuration;

namespace Drover.Core.Routing;

/// <summary>
/// Server-name routing for TLS pass-through. An exact name beats any wildcard; among wildcards the
/// longest suffix wins (so <c>*.eu.example.org</c> beats <c>*.example.org</c>); no match, or no
/// server name at all, goes to the fallback (which may be absent: then the connection is closed).
/// </summary>
public sealed class SniRouteTable<TTarget> where TTarget : class
{
    private readonly Dictionary<string, TTarget> _exact;
    private readonly (string Suffix, TTarget Target)[] _suffixes;

    public SniRouteTable(IReadOnlyList<SniRouteConfig> routes, Func<string, TTarget> resolve, TTarget? fallback)
    {
        _exact = new Dictionary<string, TTarget>(StringComparer.OrdinalIgnoreCase);
        var suffixes = new List<(string, TTarget)>();
        foreach (var route in routes)
        {
            if (!HostPattern.TryParse(route.ServerName, out var pattern, out var error) || pattern.Kind == HostPatternKind.Any)
                throw new ArgumentException(error.Length > 0 ? error : "'*' is not a server name; use the listener's pool as fallback", nameof(routes));
            if (pattern.Kind == HostPatternKind.Exact) _exact[pattern.Text] = resolve(route.Pool);
            else suffixes.Add((pattern.Suffix, resolve(route.Pool)));
        }
        _suffixes = suffixes.OrderByDescending(s => s.Item1.Length).ToArray();
        Fallback = fallback;
    }

    public TTarget? Fallback { get; }

    public TTarget? Match(string? serverName)
    {
        if (string.IsNullOrEmpty(serverName)) return Fallback;
        if (_exact.TryGetValue(serverName, out var target)) return target;
        foreach (var (suffix, t) in _suffixes)
            if (serverName.Length > suffix.Length && serverName.EndsWith(suffix, StringComparison.OrdinalIgnoreCase)) return t;
        return Fallback;
    }
}
