using BenchmarkDotNet.Attributes;
using Drover.Core.Configuration;
using Drover.Core.Routing;

namespace Drover.Bench.Micro;

/// <summary>
/// <see cref="RouteTable{TTarget}.Match"/> over an 8-route table (exact hosts, *.suffix, *, path
/// prefixes, methods, one header route last): a request the first route takes, one only the last
/// (header) route takes, and one that no route takes (every route tried, header looked up and
/// missing). Target: 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class RouteMatchBenchmarks
{
    private RouteTable<string> _table = null!;
    private Headers _withCanary;
    private Headers _withoutCanary;

    [GlobalSetup]
    public void Setup()
    {
        RouteConfig[] routes =
        [
            new("api.example.com", "/v1/", "api-v1"),
            new("api.example.com", "/v2/", "api-v2"),
            new("*.static.example.com", "/", "static"),
            new("*.example.com", "/assets/", "assets"),
            new("www.example.org", "/", "www", Methods: ["GET", "HEAD"]),
            new("*", "/admin/", "admin"),
            new("*", "/.well-known/", "acme"),
            new("*", "/", "canary", HeaderName: "X-Canary", HeaderValue: "true"),
        ];
        _table = RouteTable<string>.Compile(routes, pool => pool);

        (string, string)[] common =
        [
            ("Host", "shop.example.net"),
            ("User-Agent", "bench/1.0"),
            ("Accept", "*/*"),
            ("Accept-Encoding", "gzip, br"),
        ];
        _withCanary = new Headers([.. common, ("X-Canary", "true")]);
        _withoutCanary = new Headers(common);

        // Fail fast if the table or requests drift from what the benchmark names claim.
        if (FirstRoute()?.Target != "api-v1" || LastRoute()?.Target != "canary" || NoRoute() is not null)
            throw new InvalidOperationException("route benchmark requests do not match as intended");
    }

    [Benchmark]
    public Route<string>? FirstRoute() =>
        _table.Match("api.example.com:443", "/v1/users/42", "GET", ref _withoutCanary);

    [Benchmark]
    public Route<string>? LastRoute() =>
        _table.Match("shop.example.net", "/cart/items", "GET", ref _withCanary);

    [Benchmark]
    public Route<string>? NoRoute() =>
        _table.Match("shop.example.net", "/cart/items", "GET", ref _withoutCanary);

    /// <summary>What a host would pass: a struct over its header collection, searched case-insensitively.</summary>
    private readonly struct Headers((string Name, string Value)[] entries) : IRequestHeaders
    {
        public bool TryGet(string name, out ReadOnlySpan<char> value)
        {
            foreach (var (n, v) in entries)
            {
                if (string.Equals(n, name, StringComparison.OrdinalIgnoreCase))
                {
                    value = v;
                    return true;
                }
            }
            value = default;
            return false;
        }
    }
}
