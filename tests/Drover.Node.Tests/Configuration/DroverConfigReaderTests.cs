using Akka.Configuration;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;
using Drover.Node.Configuration;
using Drover.Node.Hosting;

namespace Drover.Node.Tests.Configuration;

public class DroverConfigReaderTests
{
    private const string ValidPools = """
        pools {
          demo {
            balance = least-connections
            backends = [ { id = b1, address = "127.0.0.1:9001", weight = 2 }, { id = b2, address = "localhost:9002" } ]
          }
          fallback { backends = [ { id = f1, address = "[::1]:9100" } ] }
        }
        """;

    private static DroverConfig Read(string drover) =>
        DroverConfigReader.Read(HoconText.Parse($"drover {{ {drover} }}", "test"));

    private static ConfigException Invalid(string drover) => Assert.Throws<ConfigException>(() => Read(drover));

    private static void AssertError(ConfigException ex, string path, string fragment) =>
        Assert.Contains(ex.Errors, e => e.Path == path && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase));

    [Fact]
    public void Reads_the_documented_example()
    {
        var config = Read($$"""
            listeners {
              web { mode = http, bind = "127.0.0.1:8080", routes = [ { host = "*", path-prefix = "/", pool = demo } ] }
              raw { mode = tcp, bind = "127.0.0.1:8081", pool = demo }
              tls { mode = tcp, bind = "127.0.0.1:8443", sni-routes { "a.example.test" = demo, "*.example.org" = fallback }, pool = fallback, inspect-delay = 2s }
            }
            {{ValidPools}}
            demo { backends = 3, first-port = 9001 }
            """);

        Assert.Equal(["web", "raw", "tls"], config.Listeners.Select(l => l.Name));
        var tls = config.Listeners[2];
        Assert.Equal(ListenerMode.Tcp, tls.Mode);
        Assert.Equal(TimeSpan.FromSeconds(2), tls.InspectDelay);
        Assert.Equal([("a.example.test", "demo"), ("*.example.org", "fallback")], tls.SniRoutes.Select(r => (r.ServerName, r.Pool)));
        var demo = config.FindPool("demo")!;
        Assert.Equal(BalanceMode.LeastConnections, demo.Balance);
        Assert.Equal(2, demo.Backends[0].Weight);
        Assert.Equal(1, demo.Backends[1].Weight);
        Assert.Equal("::1", config.FindPool("fallback")!.Backends[0].Address.Host);
        Assert.Equal(3, config.Demo.Backends);
        Assert.Equal(TimeoutsConfig.Default, demo.Timeouts);
    }

    [Fact]
    public void Reads_route_header_and_methods_and_timeouts()
    {
        var config = Read($$"""
            listeners.web { mode = http, bind = "127.0.0.1:0", routes = [
              { host = "*.example.org", path-prefix = "/api", pool = demo, header { name = X-Canary, value = "1" }, methods = [get, POST] }
            ] }
            pools.demo { balance = consistent-hash, hash-key = "header:X-User", backends = [ { id = b1, address = "127.0.0.1:1" } ], timeouts { connect = 250ms, response = 2s, idle = 5m } }
            """);
        var route = config.Listeners[0].Routes[0];
        Assert.Equal(("*.example.org", "/api", "X-Canary", "1"), (route.Host, route.PathPrefix, route.HeaderName, route.HeaderValue));
        Assert.Equal(["GET", "POST"], route.Methods!);
        var pool = config.Pools[0];
        Assert.Equal(new HashKey(HashKeySource.Header, "X-User"), pool.HashKey);
        Assert.Equal(new TimeoutsConfig(TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(2), TimeSpan.FromMinutes(5)), pool.Timeouts);
    }

    [Fact]
    public void Unknown_pool_names_the_route()
    {
        var ex = Invalid($$"""
            listeners.web { mode = http, bind = "127.0.0.1:8080", routes = [ { pool = demo }, { pool = nope } ] }
            {{ValidPools}}
            """);
        AssertError(ex, "drover.listeners.web.routes[1].pool", "unknown pool 'nope'");
    }

    [Fact]
    public void Unknown_pool_on_tcp_and_sni_listeners()
    {
        var ex = Invalid($$"""
            listeners.raw { mode = tcp, bind = "127.0.0.1:8081", pool = missing }
            listeners.tls { mode = tcp, bind = "127.0.0.1:8443", sni-routes { "a.example.test" = ghost } }
            {{ValidPools}}
            """);
        AssertError(ex, "drover.listeners.raw.pool", "unknown pool 'missing'");
        AssertError(ex, "drover.listeners.tls.sni-routes.\"a.example.test\"", "unknown pool 'ghost'");
    }

    [Fact]
    public void Duplicate_backend_ids()
    {
        var ex = Invalid("""pools.p { backends = [ { id = x, address = "127.0.0.1:1" }, { id = x, address = "127.0.0.1:2" } ] }""");
        AssertError(ex, "drover.pools.p.backends[1].id", "duplicate backend id 'x'");
    }

    [Theory]
    [InlineData("127.0.0.1", "not host:port")]
    [InlineData("127.0.0.1:99999", "port '99999'")]
    [InlineData("127.0.0.1:0", "port '0'")]
    [InlineData("127.0.0.1:http", "port 'http'")]
    [InlineData("300.1.2.3:80", "not a valid host name")]
    [InlineData("bad host:80", "not a valid host name")]
    [InlineData("::1:80", "brackets")]
    public void Bad_backend_address(string address, string fragment)
    {
        var ex = Invalid($$"""pools.p { backends = [ { id = a, address = "{{address}}" } ] }""");
        AssertError(ex, "drover.pools.p.backends[0].address", fragment);
    }

    [Theory]
    [InlineData("127.0.0.1:70000", "port '70000'")]
    [InlineData("example.org:80", "must be an IP address")]
    [InlineData("", "must not be empty")]
    public void Bad_listener_bind(string bind, string fragment)
    {
        var ex = Invalid($$"""
            listeners.raw { mode = tcp, bind = "{{bind}}", pool = demo }
            {{ValidPools}}
            """);
        AssertError(ex, "drover.listeners.raw.bind", fragment);
    }

    [Fact]
    public void Unknown_balance_mode_lists_the_valid_ones()
    {
        var ex = Invalid("""pools.p { balance = fastest, backends = [ { id = a, address = "127.0.0.1:1" } ] }""");
        AssertError(ex, "drover.pools.p.balance", "unknown balance mode 'fastest'");
        AssertError(ex, "drover.pools.p.balance", "least-response-time");
    }

    [Fact]
    public void Unknown_keys_are_errors_not_silently_ignored()
    {
        var ex = Invalid("""pools.p { balanse = random, backends = [ { id = a, adress = "127.0.0.1:1" } ] }""");
        AssertError(ex, "drover.pools.p.balanse", "unknown key");
        AssertError(ex, "drover.pools.p.backends[0].adress", "unknown key");
        AssertError(ex, "drover.pools.p.backends[0].address", "is required");
    }

    [Fact]
    public void Bad_values_name_their_keys()
    {
        var ex = Invalid("""
            listeners.x { mode = udp, bind = "127.0.0.1:1" }
            pools.p { backends = [ { id = a, address = "127.0.0.1:1", weight = -1 } ], timeouts { connect = soon, idle = 0s } }
            demo { backends = 99 }
            """);
        AssertError(ex, "drover.listeners.x.mode", "unknown mode 'udp'");
        AssertError(ex, "drover.pools.p.backends[0].weight", "from 0 to 1000");
        AssertError(ex, "drover.pools.p.timeouts.connect", "not a duration");
        AssertError(ex, "drover.pools.p.timeouts.idle", "greater than zero");
        AssertError(ex, "drover.demo.backends", "from 0 to 64");
    }

    [Fact]
    public void Listener_binds_that_clash_are_rejected()
    {
        var ex = Invalid($$"""
            listeners {
              a { mode = tcp, bind = "127.0.0.1:7000", pool = demo }
              b { mode = tcp, bind = "*:7000", pool = demo }
              c { mode = tcp, bind = "127.0.0.1:9001", pool = demo }
            }
            {{ValidPools}}
            demo { backends = 2, first-port = 9001 }
            """);
        AssertError(ex, "drover.listeners.b.bind", "clashes with drover.listeners.a.bind");
        AssertError(ex, "drover.demo (backend b1)", "clashes with drover.listeners.c.bind");
    }

    [Fact]
    public void Missing_drover_section()
    {
        var ex = Assert.Throws<ConfigException>(() => DroverConfigReader.Read(ConfigurationFactory.ParseString("akka.loglevel = INFO")));
        AssertError(ex, "drover", "no drover");
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var ex = Invalid("""pools.p { balance = x, backends = [ { id = "bad id!", address = "nope" } ] }""");
        Assert.True(ex.Errors.Count >= 3, ex.Message);
        Assert.Contains("drover.pools.p.balance", ex.Message);
    }

    [Fact]
    public void Environment_overrides_follow_the_AKKA_double_underscore_convention()
    {
        var file = HoconText.Parse($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:8080", routes = [ { pool = demo } ] }
              {{ValidPools}}
            }
            akka.remote.dot-netty.tcp.port = 4053
            """, "test");
        var config = ConfigLoader.FromHocon(file, "test", new System.Collections.Hashtable
        {
            ["DROVER__LISTENERS__WEB__BIND"] = "127.0.0.1:18080",
            ["DROVER__POOLS__DEMO__BALANCE"] = "power-of-two",
            ["AKKA__REMOTE__DOT_NETTY__TCP__PORT"] = "4999",
            ["CLUSTER_SEEDS"] = "10.0.0.5:4053, akka.tcp://drover@10.0.0.6:4053",
            ["CLUSTER_ROLES"] = "lb,edge",
            ["UNRELATED"] = "x",
        });

        Assert.Equal(18080, config.Drover.Listeners[0].Bind.Port);
        Assert.Equal(BalanceMode.PowerOfTwo, config.Drover.FindPool("demo")!.Balance);
        Assert.Equal(4999, config.Hocon.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(["akka.tcp://drover@10.0.0.5:4053", "akka.tcp://drover@10.0.0.6:4053"], config.Hocon.GetStringList("akka.cluster.seed-nodes"));
        Assert.Equal(["lb", "edge"], config.Hocon.GetStringList("akka.cluster.roles"));
        // Keys the environment does not mention keep their file values.
        Assert.Equal(2, config.Drover.FindPool("demo")!.Backends.Count);
    }

    [Fact]
    public void Host_port_seeds_take_the_scheme_of_the_transport_adapters()
    {
        // With the throttler (drills), member addresses are akka.trttl.tcp://...; a host:port seed must match.
        var file = HoconText.Parse($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:8080", routes = [ { pool = demo } ] }
              {{ValidPools}}
            }
            akka.remote.dot-netty.tcp.applied-adapters = [trttl]
            """, "test");
        var config = ConfigLoader.FromHocon(file, "test", new System.Collections.Hashtable
        {
            ["CLUSTER_SEEDS"] = "10.0.0.5:4053,akka.tcp://drover@10.0.0.6:4053",
        });
        Assert.Equal(["akka.trttl.tcp://drover@10.0.0.5:4053", "akka.tcp://drover@10.0.0.6:4053"], config.Hocon.GetStringList("akka.cluster.seed-nodes"));

        var plain = HoconText.Parse($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:8080", routes = [ { pool = demo } ] }
              {{ValidPools}}
            }
            """, "test");
        var fromEnvironment = ConfigLoader.FromHocon(plain, "test", new System.Collections.Hashtable
        {
            ["CLUSTER_SEEDS"] = "10.0.0.5:4053",
            ["AKKA__REMOTE__DOT_NETTY__TCP__APPLIED_ADAPTERS__0"] = "trttl",
        });
        Assert.Equal(["akka.trttl.tcp://drover@10.0.0.5:4053"], fromEnvironment.Hocon.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void Syntax_errors_name_the_file_line_and_column()
    {
        var ex = Assert.Throws<ConfigException>(() => HoconText.Parse("drover {\n  pools {\n    p { balance = [ }\n  }\n}", "my.hocon"));
        Assert.Equal("my.hocon", ex.Errors[0].Path);
        Assert.Contains("line 3, column 21: '}' cannot close the '[' opened at line 3, column 19", ex.Errors[0].Message);
    }

    [Theory]
    [InlineData("a { b = 1", "line 1, column 3: '{' is never closed")]
    [InlineData("a = 1 }", "line 1, column 7: '}' closes nothing")]
    [InlineData("a = \"x\"\nb = [1, 2", "line 2, column 5: '[' is never closed")]
    public void Unbalanced_brackets_are_reported_before_parsing(string text, string expected)
    {
        var ex = Assert.Throws<ConfigException>(() => HoconText.Parse(text, "f.hocon"));
        Assert.Contains(expected, ex.Errors[0].Message);
    }

    [Fact]
    public void A_comma_after_a_nested_object_is_accepted_but_strings_and_comments_are_untouched()
    {
        var config = HoconText.Parse("""
            a { b { c = 1 }, d = "x }, y" } # e }, f
            l = [ { i = 1 }, { i = 2 } ]
            """, "test");
        Assert.Equal(1, config.GetInt("a.b.c"));
        Assert.Equal("x }, y", config.GetString("a.d"));
        Assert.Equal(2, config.GetValue("l").GetArray().Count);
    }

    // --- Pool resilience settings (issue 4) ---

    private const string PoolPath = "drover.pools.p";

    /// <summary>Pool <c>p</c> with one backend plus <paramref name="keys"/>.</summary>
    private static PoolConfig ReadPool(string keys) => Read(Pool(keys)).Pools[0];

    private static ConfigException InvalidPool(string keys) => Invalid(Pool(keys));

    private static string Pool(string keys) =>
        "pools.p { backends = [ { id = a, address = \"127.0.0.1:1\" } ]\n" + keys + "\n}";

    [Fact]
    public void Resilience_settings_default_when_absent()
    {
        var pool = ReadPool("");
        Assert.Equal(HealthConfig.Default, pool.Health);
        Assert.Equal(ActiveCheckType.Off, pool.Health.Active.Type);
        Assert.Equal(PassiveHealthConfig.Default, pool.Health.Passive);
        Assert.Equal(RetryConfig.Default, pool.Retries);
        Assert.Equal(0, pool.MaxConnections);
        Assert.Equal(QueueConfig.Default, pool.Queue);
        Assert.Equal(TimeSpan.FromSeconds(30), pool.SlowStart);
        Assert.Equal(AllUnhealthyMode.Fail, pool.AllUnhealthy);
        Assert.Equal(TimeoutsConfig.Default, pool.Timeouts);
        Assert.Equal(TimeSpan.FromSeconds(10), pool.Timeouts.RequestHeaders);
        Assert.Equal(AdminState.Ready, pool.Backends[0].State);
    }

    [Fact]
    public void Empty_blocks_keep_the_defaults()
    {
        var pool = ReadPool("health { passive {} }, retries {}, queue {}, timeouts {}");
        Assert.Equal(HealthConfig.Default, pool.Health);
        Assert.Equal(RetryConfig.Default, pool.Retries);
        Assert.Equal(QueueConfig.Default, pool.Queue);
        Assert.Equal(TimeoutsConfig.Default, pool.Timeouts);
    }

    [Fact]
    public void Reads_every_resilience_key()
    {
        var pool = ReadPool("""
            health {
              active  { type = http, path = "/ping", host = "svc.internal", expect-status = "200-299", expect-body = "ok", interval = 5s, timeout = 500ms, rise = 3, fall = 4, jitter = 25% }
              passive { consecutive-failures = 7, failure-rate = 40%, window = 30s, min-requests = 50, eject-time = 15s, max-eject-time = 10m, max-ejected = 0.3 }
              quorum = 3
            }
            retries { attempts = 3, budget = 10%, on = [connect-failure, 503] }
            timeouts { connect = 1s, request-headers = 4s, response = 20s, idle = 2m }
            max-connections = 200
            queue { size = 50, timeout = 2s }
            slow-start = 1m
            all-unhealthy = use-all
            """);

        Assert.Equal(new ActiveHealthConfig(ActiveCheckType.Http, "/ping", "svc.internal", new StatusRange(200, 299), "ok",
            TimeSpan.FromSeconds(5), TimeSpan.FromMilliseconds(500), Rise: 3, Fall: 4, Jitter: 0.25), pool.Health.Active);
        Assert.Equal(new PassiveHealthConfig(7, 0.4, TimeSpan.FromSeconds(30), 50, TimeSpan.FromSeconds(15), TimeSpan.FromMinutes(10), 0.3),
            pool.Health.Passive);
        Assert.Equal(3, pool.Health.Quorum);
        Assert.Equal(new RetryConfig(3, 0.1, RetryOn.ConnectFailure | RetryOn.Status503), pool.Retries);
        Assert.Equal(new TimeoutsConfig(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(20), TimeSpan.FromMinutes(2)) { RequestHeaders = TimeSpan.FromSeconds(4) },
            pool.Timeouts);
        Assert.Equal(200, pool.MaxConnections);
        Assert.Equal(new QueueConfig(50, TimeSpan.FromSeconds(2)), pool.Queue);
        Assert.Equal(TimeSpan.FromMinutes(1), pool.SlowStart);
        Assert.Equal(AllUnhealthyMode.UseAll, pool.AllUnhealthy);
    }

    [Fact]
    public void The_documented_defaults_are_the_defaults()
    {
        // README's annotated pool writes every key with its default; reading it must change nothing.
        var written = ReadPool("""
            timeouts { connect = 3s, request-headers = 10s, response = 30s, idle = 60s }
            health {
              passive { consecutive-failures = 5, failure-rate = 50%, window = 10s, min-requests = 20, eject-time = 10s, max-eject-time = 5m, max-ejected = 50% }
            }
            retries { attempts = 2, budget = 20%, on = [connect-failure, reset-before-response, 502, 503, 504] }
            max-connections = 0
            queue { size = 1000, timeout = 5s }
            slow-start = 30s
            all-unhealthy = fail
            """);
        var absent = ReadPool("");
        Assert.Equal(absent.Timeouts, written.Timeouts);
        Assert.Equal(absent.Health, written.Health);
        Assert.Equal(absent.Retries, written.Retries);
        Assert.Equal((absent.MaxConnections, absent.Queue, absent.SlowStart, absent.AllUnhealthy),
            (written.MaxConnections, written.Queue, written.SlowStart, written.AllUnhealthy));
        Assert.Equal(ActiveHealthConfig.HttpDefaults, ReadPool("""
            health.active { type = http, path = "/healthz", host = "", expect-status = "200-399", expect-body = "", interval = 2s, timeout = 1s, rise = 2, fall = 3, jitter = 10% }
            """).Health.Active);
    }

    [Theory]
    [InlineData("active { type = http }")]
    [InlineData("active { type = HTTP }")]
    [InlineData("active {}")]
    public void An_active_block_with_no_other_keys_takes_the_http_defaults(string health)
    {
        Assert.Equal(ActiveHealthConfig.HttpDefaults, ReadPool($"health {{ {health} }}").Health.Active);
    }

    [Fact]
    public void An_active_block_without_type_is_an_http_check()
    {
        var active = ReadPool("""health.active { path = "/ready", expect-status = 204 }""").Health.Active;
        Assert.Equal(ActiveHealthConfig.HttpDefaults with { Path = "/ready", ExpectStatus = new StatusRange(204, 204) }, active);
    }

    [Fact]
    public void A_tcp_check_reads_the_shared_keys()
    {
        var active = ReadPool("health.active { type = tcp, interval = 10s, timeout = 2s, rise = 1, fall = 2, jitter = 0 }").Health.Active;
        Assert.Equal(ActiveHealthConfig.HttpDefaults with
        {
            Type = ActiveCheckType.Tcp, Interval = TimeSpan.FromSeconds(10), Timeout = TimeSpan.FromSeconds(2), Rise = 1, Fall = 2, Jitter = 0,
        }, active);
    }

    [Fact]
    public void A_tcp_check_rejects_the_http_only_keys()
    {
        var ex = InvalidPool("""health.active { type = tcp, path = "/healthz", host = x, expect-status = 200, expect-body = ok }""");
        foreach (var key in new[] { "path", "host", "expect-status", "expect-body" })
            AssertError(ex, $"{PoolPath}.health.active.{key}", "type = http only");
        Assert.Equal(4, ex.Errors.Count);
    }

    [Fact]
    public void Off_shorthands_and_type_off()
    {
        var pool = ReadPool("health { active = off, passive = off }");
        Assert.Equal(ActiveHealthConfig.Off, pool.Health.Active);
        Assert.Equal(PassiveHealthConfig.Off, pool.Health.Passive);
        Assert.False(pool.Health.Passive.Enabled);

        // type = off keeps the block's other values, so checks can be paused without deleting them.
        var paused = ReadPool("health.active { type = off, interval = 7s }").Health.Active;
        Assert.False(paused.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(7), paused.Interval);
    }

    [Theory]
    [InlineData("active = on", "health.active")]
    [InlineData("active = [http]", "health.active")]
    [InlineData("passive = false", "health.passive")]
    public void Health_parts_are_a_block_or_off(string health, string key)
    {
        AssertError(InvalidPool($"health {{ {health} }}"), $"{PoolPath}.{key}", "or off");
    }

    [Theory]
    [InlineData("50%", 0.5)]
    [InlineData("12.5%", 0.125)]
    [InlineData("\"50 %\"", 0.5)]
    [InlineData("100%", 1.0)]
    [InlineData("0%", 0.0)]
    [InlineData("0", 0.0)]
    [InlineData("0.5", 0.5)]
    [InlineData(".25", 0.25)]
    [InlineData("1", 1.0)]
    public void Percentages_are_N_percent_or_a_fraction_from_0_to_1(string text, double expected)
    {
        var pool = ReadPool($"health.passive.failure-rate = {text}, retries.budget = {text}, health.passive.max-ejected = {text}");
        Assert.Equal(expected, pool.Health.Passive.FailureRate, 9);
        Assert.Equal(expected, pool.Retries.Budget, 9);
        Assert.Equal(expected, pool.Health.Passive.MaxEjected, 9);
    }

    [Theory]
    [InlineData("150%", "'150%' is over 100%")]
    [InlineData("abc", "'abc' is not a percentage")]
    [InlineData("\"-5%\"", "'-5%' is not a percentage")]
    [InlineData("1e-1", "'1e-1' is not a percentage")]
    [InlineData("\"\"", "'' is not a percentage")]
    [InlineData("50", "a plain number is a fraction from 0 to 1 (write 50% for a percentage)")]
    [InlineData("1.5", "above 1")]
    public void Bad_percentages_name_their_key(string text, string fragment)
    {
        var ex = InvalidPool($"health {{ active.jitter = {text}, passive {{ failure-rate = {text}, max-ejected = {text} }} }}, retries.budget = {text}");
        foreach (var key in new[] { "health.active.jitter", "health.passive.failure-rate", "health.passive.max-ejected", "retries.budget" })
            AssertError(ex, $"{PoolPath}.{key}", fragment);
        Assert.Equal(4, ex.Errors.Count);
    }

    [Theory]
    [InlineData("health.active.interval = 0s", "health.active.interval", "greater than zero")]
    [InlineData("health.active.timeout = 0s", "health.active.timeout", "greater than zero")]
    [InlineData("health.active.interval = soon", "health.active.interval", "not a duration")]
    [InlineData("health.active.rise = 0", "health.active.rise", "at least 1")]
    [InlineData("health.active.fall = 0", "health.active.fall", "at least 1")]
    [InlineData("health.active.fall = many", "health.active.fall", "'many' is not a whole number")]
    [InlineData("health.active.jitter = 100%", "health.active.jitter", "below 100%")]
    [InlineData("health.active.path = healthz", "health.active.path", "must start with '/'")]
    [InlineData("health.active.expect-status = 2xx", "health.active.expect-status", "'2xx' is not a status code or range")]
    [InlineData("health.active.expect-status = 200-600", "health.active.expect-status", "within 100-599")]
    [InlineData("health.active.type = grpc", "health.active.type", "unknown check type 'grpc' (expected http | tcp | off)")]
    [InlineData("health.passive.consecutive-failures = -1", "health.passive.consecutive-failures", "0 (off) or more")]
    [InlineData("health.passive.min-requests = 0", "health.passive.min-requests", "at least 1")]
    [InlineData("health.passive.window = 0s", "health.passive.window", "greater than zero")]
    [InlineData("health.passive.eject-time = 0s", "health.passive.eject-time", "greater than zero")]
    [InlineData("health.passive { eject-time = 1m, max-eject-time = 30s }", "health.passive.max-eject-time", "at least eject-time (1m)")]
    [InlineData("health.quorum = 0", "health.quorum", "at least 1")]
    [InlineData("health.quorum = most", "health.quorum", "'most' is not a whole number")]
    [InlineData("retries.attempts = 11", "retries.attempts", "from 0 to 10")]
    [InlineData("retries.attempts = -1", "retries.attempts", "from 0 to 10")]
    [InlineData("retries.on = [connect-failure, 500]", "retries.on", "unknown retry condition '500'")]
    [InlineData("retries.on = 502", "retries.on", "must be a list")]
    [InlineData("timeouts.request-headers = 0s", "timeouts.request-headers", "greater than zero")]
    [InlineData("timeouts.request-headers = -1s", "timeouts.request-headers", "must not be negative")]
    [InlineData("max-connections = -1", "max-connections", "0 (unlimited) or more")]
    [InlineData("max-connections = lots", "max-connections", "'lots' is not a whole number")]
    [InlineData("queue.size = 0", "queue.size", "from 1 to 1000000")]
    [InlineData("queue.size = 1000001", "queue.size", "from 1 to 1000000")]
    [InlineData("queue.timeout = 0s", "queue.timeout", "greater than zero")]
    [InlineData("slow-start = -5s", "slow-start", "must not be negative")]
    [InlineData("slow-start = later", "slow-start", "not a duration")]
    [InlineData("all-unhealthy = panic", "all-unhealthy", "unknown mode 'panic' (expected fail | use-all)")]
    [InlineData("health = off", "health", "must be an object")]
    [InlineData("retries = 2", "retries", "must be an object")]
    public void Bad_resilience_values_name_their_key(string keys, string key, string fragment)
    {
        var ex = InvalidPool(keys);
        AssertError(ex, $"{PoolPath}.{key}", fragment);
        Assert.Single(ex.Errors);
    }

    [Theory]
    [InlineData("health.passive.eject = 1s", "health.passive.eject")]
    [InlineData("health.active.method = GET", "health.active.method")]
    [InlineData("health.outlier {}", "health.outlier")]
    [InlineData("retries.tries = 2", "retries.tries")]
    [InlineData("queue.length = 5", "queue.length")]
    [InlineData("timeouts.header = 5s", "timeouts.header")]
    [InlineData("max-conns = 5", "max-conns")]
    public void Unknown_resilience_keys_are_errors(string keys, string key)
    {
        AssertError(InvalidPool(keys), $"{PoolPath}.{key}", "unknown key");
    }

    [Fact]
    public void Rules_can_be_turned_off_by_zero()
    {
        var pool = ReadPool("""
            health.passive { consecutive-failures = 0, failure-rate = 0%, min-requests = 0, window = 0s, max-ejected = 0 }
            retries { attempts = 0, budget = 0, on = [] }
            slow-start = 0
            """);
        Assert.False(pool.Health.Passive.Enabled);
        Assert.Equal(0, pool.Health.Passive.MaxEjected);
        Assert.Equal(RetryOn.None, pool.Retries.On);
        Assert.False(pool.Retries.Enabled);
        Assert.Equal(TimeSpan.Zero, pool.SlowStart);
    }

    [Fact]
    public void Every_resilience_problem_is_reported_at_once()
    {
        var ex = InvalidPool("""
            health { active { type = tcp, path = "/x", rise = 0 }, passive { failure-rate = 2, eject-time = never } }
            retries { attempts = 99, on = [sometimes] }
            queue { size = 0 }
            all-unhealthy = maybe
            """);
        Assert.Equal(
            [
                "drover.pools.p.all-unhealthy",
                "drover.pools.p.health.active.path",
                "drover.pools.p.health.active.rise",
                "drover.pools.p.health.passive.eject-time",
                "drover.pools.p.health.passive.failure-rate",
                "drover.pools.p.queue.size",
                "drover.pools.p.retries.attempts",
                "drover.pools.p.retries.on",
            ],
            ex.Errors.Select(e => e.Path).Order());
    }

    [Theory]
    [InlineData("ready", AdminState.Ready)]
    [InlineData("drain", AdminState.Drain)]
    [InlineData("MAINT", AdminState.Maint)]
    public void Reads_the_backend_state(string text, AdminState expected)
    {
        var config = Read($$"""pools.p { backends = [ { id = a, address = "127.0.0.1:1", state = {{text}} }, { id = b, address = "127.0.0.1:2" } ] }""");
        Assert.Equal(expected, config.Pools[0].Backends[0].State);
        Assert.Equal(AdminState.Ready, config.Pools[0].Backends[1].State);
    }

    [Fact]
    public void Bad_backend_state_names_the_backend()
    {
        var ex = Invalid("""pools.p { backends = [ { id = a, address = "127.0.0.1:1" }, { id = b, address = "127.0.0.1:2", state = down } ] }""");
        AssertError(ex, "drover.pools.p.backends[1].state", "unknown state 'down' (expected ready | drain | maint)");
    }

    [Fact]
    public void Resilience_settings_follow_environment_overrides()
    {
        var file = HoconText.Parse($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:8080", routes = [ { pool = demo } ] }
              {{ValidPools}}
              pools.demo.health { active { type = http, path = "/up" }, passive { consecutive-failures = 3 } }
            }
            """, "test");
        var config = ConfigLoader.FromHocon(file, "test", new System.Collections.Hashtable
        {
            ["DROVER__POOLS__DEMO__HEALTH__PASSIVE"] = "off",
            ["DROVER__POOLS__DEMO__HEALTH__ACTIVE__INTERVAL"] = "9s",
            ["DROVER__POOLS__DEMO__RETRIES__BUDGET"] = "5%",
            ["DROVER__POOLS__DEMO__MAX_CONNECTIONS"] = "64",
            ["DROVER__POOLS__DEMO__ALL_UNHEALTHY"] = "use-all",
        });

        var demo = config.Drover.FindPool("demo")!;
        Assert.Equal(PassiveHealthConfig.Off, demo.Health.Passive);
        Assert.Equal("/up", demo.Health.Active.Path);
        Assert.Equal(TimeSpan.FromSeconds(9), demo.Health.Active.Interval);
        Assert.Equal(0.05, demo.Retries.Budget, 9);
        Assert.Equal(64, demo.MaxConnections);
        Assert.Equal(AllUnhealthyMode.UseAll, demo.AllUnhealthy);
    }

    [Fact]
    public void An_empty_backends_list_is_a_pool_with_no_backends()
    {
        var ex = Invalid("pools.p { backends = [] }");
        AssertError(ex, "drover.pools.p.backends", "the pool has no backends");
        Assert.Single(ex.Errors);
    }

    [Fact]
    public void An_empty_methods_list_means_any_method()
    {
        var config = Read($$"""
            listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = demo, methods = [] } ] }
            {{ValidPools}}
            """);
        Assert.Empty(config.Listeners[0].Routes[0].Methods!);
    }

    [Fact]
    public void The_repository_default_config_is_valid()
    {
        var path = Path.Combine(AppContext.BaseDirectory, "akka.hocon");
        var config = ConfigLoader.Load(path, new System.Collections.Hashtable());
        Assert.Equal(["web", "raw"], config.Drover.Listeners.Select(l => l.Name));
        Assert.Equal("127.0.0.1:8080", config.Drover.Listeners[0].Bind.ToString());
        Assert.Equal("127.0.0.1:8081", config.Drover.Listeners[1].Bind.ToString());
        Assert.Equal(3, config.Drover.Demo.Backends);
        Assert.Equal([9001, 9002, 9003], config.Drover.FindPool("demo")!.Backends.Select(b => b.Address.Port));
        // The shipped demo pool runs on the defaults of issue 4's settings (no active checks).
        var demo = config.Drover.FindPool("demo")!;
        Assert.Equal(HealthConfig.Default, demo.Health);
        Assert.Equal(RetryConfig.Default, demo.Retries);
        Assert.Equal(0, demo.MaxConnections);
    }
}
