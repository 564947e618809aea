using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Net;
using Xunit;

namespace Drover.Core.Tests.Configuration;

public class DroverConfigValidatorTests
{
    private static readonly PoolConfig WebPool = new("web", BalanceMode.RoundRobin, HashKey.ClientIp,
        [Backend("w1", 9101), Backend("w2", 9102)], TimeoutsConfig.Default);

    private static readonly PoolConfig TlsPool = new("tls", BalanceMode.ConsistentHash, new HashKey(HashKeySource.Header, "X-User"),
        [Backend("t1", 9201), Backend("t2", 9202, weight: 0)], TimeoutsConfig.Default);

    private static readonly ListenerConfig WebListener = Http("web", Bind("127.0.0.1", 8080),
        new RouteConfig("*.example.org", "/api", "web", "X-Key", null, ["GET", "POST"]),
        new RouteConfig("*", "/", "web"));

    private static readonly ListenerConfig TlsListener = Tcp("tls", Bind("*", 8443), "tls",
        new SniRouteConfig("a.example.org", "tls"), new SniRouteConfig("*.example.net", "web"));

    private static readonly DroverConfig Valid = new([WebListener, TlsListener], [WebPool, TlsPool], new DemoConfig(3, 9001));

    [Fact]
    public void ValidConfig_HasNoErrors()
    {
        Assert.Empty(DroverConfigValidator.Validate(Valid));
        DroverConfigValidator.ThrowIfInvalid(Valid);
    }

    [Fact]
    public void UnknownPool_InHttpRoute()
    {
        var config = Valid with
        {
            Listeners = [WebListener with { Routes = [new RouteConfig("*", "/", "nope")] }, TlsListener],
        };

        var error = SingleError(config, "drover.listeners.web.routes[0].pool");
        Assert.Contains("unknown pool 'nope'", error.Message);
        Assert.Contains("tls, web", error.Message);
    }

    [Fact]
    public void UnknownPool_InSecondHttpRoute_NamesItsIndex()
    {
        var config = Valid with
        {
            Listeners = [WebListener with { Routes = [new RouteConfig("*", "/a", "web"), new RouteConfig("*", "/", "nope")] }],
        };

        SingleError(config, "drover.listeners.web.routes[1].pool");
    }

    [Fact]
    public void UnknownPool_OnTcpListener()
    {
        var config = Valid with { Listeners = [WebListener, TlsListener with { Pool = "nope" }] };

        Assert.Contains("unknown pool 'nope'", SingleError(config, "drover.listeners.tls.pool").Message);
    }

    [Fact]
    public void UnknownPool_InSniRoute()
    {
        var config = Valid with
        {
            Listeners = [WebListener, TlsListener with { SniRoutes = [new SniRouteConfig("a.example.org", "nope")] }],
        };

        Assert.Contains("unknown pool 'nope'", SingleError(config, "drover.listeners.tls.sni-routes.\"a.example.org\"").Message);
    }

    [Fact]
    public void DuplicateBackendIds()
    {
        var config = Valid with
        {
            Pools = [WebPool with { Backends = [Backend("w1", 9101), Backend("w2", 9102), Backend("w1", 9103)] }, TlsPool],
        };

        Assert.Contains("duplicate backend id 'w1'", SingleError(config, "drover.pools.web.backends[2].id").Message);
    }

    [Fact]
    public void PoolWithNoBackends()
    {
        var config = Valid with { Pools = [WebPool with { Backends = [] }, TlsPool] };

        SingleError(config, "drover.pools.web.backends");
    }

    [Fact]
    public void BackendWithWildcardAddress()
    {
        var config = Valid with
        {
            Pools = [WebPool with { Backends = [Backend("w1", 9101), new BackendConfig("w2", Bind("*", 9102))] }, TlsPool],
        };

        SingleError(config, "drover.pools.web.backends[1].address");
    }

    [Theory]
    [InlineData("127.0.0.1", "127.0.0.1")]
    [InlineData("localhost", "LOCALHOST")]
    [InlineData("127.0.0.1", "*")]
    [InlineData("*", "127.0.0.1")]
    [InlineData("0.0.0.0", "10.1.2.3")]
    public void TwoListenersOnTheSamePortAndHost_Clash(string firstHost, string secondHost)
    {
        var config = Valid with
        {
            Listeners = [WebListener with { Bind = Bind(firstHost, 8080) }, TlsListener, Http("web2", Bind(secondHost, 8080), new RouteConfig("*", "/", "web"))],
        };

        var error = SingleError(config, "drover.listeners.web2.bind");
        Assert.Contains("clashes with drover.listeners.web.bind", error.Message);
    }

    [Fact]
    public void TwoListenersOnTheSamePort_DifferentHosts_DoNotClash()
    {
        var config = Valid with
        {
            Listeners = [WebListener, TlsListener, Http("web2", Bind("127.0.0.2", 8080), new RouteConfig("*", "/", "web"))],
        };

        Assert.Empty(DroverConfigValidator.Validate(config));
    }

    [Fact]
    public void TwoListenersOnPortZero_DoNotClash()
    {
        var config = Valid with
        {
            Listeners = [WebListener with { Bind = Bind("127.0.0.1", 0) }, TlsListener with { Bind = Bind("127.0.0.1", 0) }],
        };

        Assert.Empty(DroverConfigValidator.Validate(config));
    }

    [Fact]
    public void ListenerClashingWithADemoBackendPort()
    {
        // Demo backends b1..b3 listen on 127.0.0.1:9001..9003.
        var config = Valid with { Listeners = [WebListener with { Bind = Bind("127.0.0.1", 9002) }, TlsListener] };

        var error = SingleError(config, "drover.demo (backend b2)");
        Assert.Contains("clashes with drover.listeners.web.bind", error.Message);
    }

    [Fact]
    public void ListenerNextToDemoBackends_DoesNotClash()
    {
        var config = Valid with { Listeners = [WebListener with { Bind = Bind("127.0.0.1", 9004) }, TlsListener] };

        Assert.Empty(DroverConfigValidator.Validate(config));
    }

    [Fact]
    public void HttpListenerWithNoRoutes()
    {
        var config = Valid with { Listeners = [WebListener with { Routes = [] }, TlsListener] };

        SingleError(config, "drover.listeners.web.routes");
    }

    [Fact]
    public void TcpListenerWithNeitherPoolNorSniRoutes()
    {
        var config = Valid with { Listeners = [WebListener, TlsListener with { Pool = null, SniRoutes = [] }] };

        SingleError(config, "drover.listeners.tls.pool");
    }

    [Fact]
    public void TcpListenerWithOnlySniRoutes_IsValid()
    {
        var config = Valid with { Listeners = [WebListener, TlsListener with { Pool = null }] };

        Assert.Empty(DroverConfigValidator.Validate(config));
    }

    [Fact]
    public void HashKeyOnANonConsistentHashPool()
    {
        var config = Valid with { Pools = [WebPool with { HashKey = new HashKey(HashKeySource.Cookie, "SID") }, TlsPool] };

        var error = SingleError(config, "drover.pools.web.hash-key");
        Assert.Contains("round-robin", error.Message);
    }

    [Theory]
    [InlineData("api")]
    [InlineData("")]
    public void PathPrefixNotStartingWithSlash(string prefix)
    {
        var config = Valid with { Listeners = [WebListener with { Routes = [new RouteConfig("*", prefix, "web")] }, TlsListener] };

        Assert.Contains("must start with '/'", SingleError(config, "drover.listeners.web.routes[0].path-prefix").Message);
    }

    [Fact]
    public void BadHostPatternInRoute()
    {
        var config = Valid with { Listeners = [WebListener with { Routes = [new RouteConfig("bad host", "/", "web")] }, TlsListener] };

        SingleError(config, "drover.listeners.web.routes[0].host");
    }

    [Fact]
    public void SniRouteStar()
    {
        var config = Valid with { Listeners = [WebListener, TlsListener with { SniRoutes = [new SniRouteConfig("*", "tls")] }] };

        Assert.Contains("'*' is not a server name", SingleError(config, "drover.listeners.tls.sni-routes.\"*\"").Message);
    }

    [Fact]
    public void SniRouteListedTwice_IgnoringCase()
    {
        var config = Valid with
        {
            Listeners = [WebListener, TlsListener with { SniRoutes = [new SniRouteConfig("a.example.org", "tls"), new SniRouteConfig("A.Example.org", "web")] }],
        };

        SingleError(config, "drover.listeners.tls.sni-routes.\"A.Example.org\"");
    }

    [Fact]
    public void SniRoutesOnAnHttpListener_AndPoolOnAnHttpListener()
    {
        var config = Valid with
        {
            Listeners = [WebListener with { Pool = "web", SniRoutes = [new SniRouteConfig("a.example.org", "web")] }, TlsListener],
        };

        var paths = DroverConfigValidator.Validate(config).Select(e => e.Path).Order().ToArray();
        Assert.Equal(["drover.listeners.web.pool", "drover.listeners.web.sni-routes"], paths);
    }

    [Fact]
    public void RoutesOnATcpListener()
    {
        var config = Valid with { Listeners = [WebListener, TlsListener with { Routes = [new RouteConfig("*", "/", "web")] }] };

        SingleError(config, "drover.listeners.tls.routes");
    }

    [Fact]
    public void SniRoutesWithoutInspectDelay()
    {
        var config = Valid with { Listeners = [WebListener, TlsListener with { InspectDelay = TimeSpan.Zero }] };

        SingleError(config, "drover.listeners.tls.inspect-delay");
    }

    [Fact]
    public void EveryProblemIsReported_AndThrowIfInvalidCarriesThemAll()
    {
        var config = Valid with
        {
            Listeners = [WebListener with { Routes = [new RouteConfig("*", "x", "nope")] }, TlsListener with { Pool = "gone" }],
            Pools = [WebPool with { Backends = [] }, TlsPool],
        };

        var expected = new[]
        {
            "drover.pools.web.backends",
            "drover.listeners.web.routes[0].pool",
            "drover.listeners.web.routes[0].path-prefix",
            "drover.listeners.tls.pool",
        };
        Assert.Equal(expected, DroverConfigValidator.Validate(config).Select(e => e.Path));
        var exception = Assert.Throws<ConfigException>(() => DroverConfigValidator.ThrowIfInvalid(config));
        Assert.Equal(expected, exception.Errors.Select(e => e.Path));
        Assert.Contains("4 problems", exception.Message);
    }

    [Fact]
    public void ResilienceSettingsInRange_AreValid()
    {
        var pool = WebPool with
        {
            Health = new HealthConfig(ActiveHealthConfig.HttpDefaults, PassiveHealthConfig.Off),
            Retries = RetryConfig.None,
            MaxConnections = 0,
            Queue = new QueueConfig(QueueConfig.MaxSize, TimeSpan.FromMilliseconds(1)),
            SlowStart = TimeSpan.Zero,
            AllUnhealthy = AllUnhealthyMode.UseAll,
        };

        Assert.Empty(DroverConfigValidator.Validate(Valid with { Pools = [pool, TlsPool] }));
    }

    public static TheoryData<string, Func<PoolConfig, PoolConfig>, string> BadResilience => new()
    {
        { "drover.pools.web.timeouts.request-headers", p => p with { Timeouts = p.Timeouts with { RequestHeaders = TimeSpan.Zero } }, "greater than zero" },
        { "drover.pools.web.health.active.rise", p => p with { Health = p.Health with { Active = ActiveHealthConfig.HttpDefaults with { Rise = 0 } } }, "at least 1" },
        { "drover.pools.web.health.passive.failure-rate", p => p with { Health = p.Health with { Passive = PassiveHealthConfig.Default with { FailureRate = 1.5 } } }, "100%" },
        { "drover.pools.web.retries.attempts", p => p with { Retries = RetryConfig.Default with { Attempts = RetryConfig.MaxAttempts + 1 } }, "from 0 to 10" },
        { "drover.pools.web.retries.budget", p => p with { Retries = RetryConfig.Default with { Budget = -0.1 } }, "from 0% to 100%" },
        { "drover.pools.web.max-connections", p => p with { MaxConnections = -1 }, "0 (unlimited) or more" },
        { "drover.pools.web.queue.size", p => p with { Queue = QueueConfig.Default with { Size = 0 } }, "from 1 to 1000000" },
        { "drover.pools.web.queue.size", p => p with { Queue = QueueConfig.Default with { Size = QueueConfig.MaxSize + 1 } }, "from 1 to 1000000" },
        { "drover.pools.web.queue.timeout", p => p with { Queue = QueueConfig.Default with { Timeout = TimeSpan.Zero } }, "greater than zero" },
        { "drover.pools.web.slow-start", p => p with { SlowStart = TimeSpan.FromSeconds(-1) }, "0 (off) or more" },
    };

    [Theory]
    [MemberData(nameof(BadResilience))]
    public void BadResilienceSetting_NamesItsKey(string path, Func<PoolConfig, PoolConfig> change, string fragment)
    {
        var config = Valid with { Pools = [change(WebPool), TlsPool] };

        Assert.Contains(fragment, SingleError(config, path).Message);
    }

    [Fact]
    public void QueueIsCheckedEvenWithoutMaxConnections()
    {
        // A bad queue must not wait to surface until someone sets max-connections.
        var config = Valid with { Pools = [WebPool with { MaxConnections = 0, Queue = new QueueConfig(0, TimeSpan.Zero) }, TlsPool] };

        Assert.Equal(["drover.pools.web.queue.size", "drover.pools.web.queue.timeout"], DroverConfigValidator.Validate(config).Select(e => e.Path));
    }

    private static ConfigError SingleError(DroverConfig config, string path)
    {
        var errors = DroverConfigValidator.Validate(config);
        var error = Assert.Single(errors);
        Assert.Equal(path, error.Path);
        Assert.False(string.IsNullOrWhiteSpace(error.Message));
        return error;
    }

    private static BackendConfig Backend(string id, int port, int weight = 1) => new(id, Bind("127.0.0.1", port), weight);

    private static HostPort Bind(string host, int port) => new(host, port);

    private static ListenerConfig Http(string name, HostPort bind, params RouteConfig[] routes) =>
        new(name, ListenerMode.Http, bind, routes, null, [], ListenerConfig.DefaultInspectDelay);

    private static ListenerConfig Tcp(string name, HostPort bind, string? pool, params SniRouteConfig[] sniRoutes) =>
        new(name, ListenerMode.Tcp, bind, [], pool, sniRoutes, ListenerConfig.DefaultInspectDelay);
}
