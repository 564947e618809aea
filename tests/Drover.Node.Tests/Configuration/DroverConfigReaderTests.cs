using Akka.Configuration;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
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
    }
}
