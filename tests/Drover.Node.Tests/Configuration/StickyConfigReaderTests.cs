using Drover.Core.Configuration;
using Drover.Core.Sessions;
using Drover.Node.Configuration;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Configuration;

/// <summary>The <c>sticky</c> block and <c>drover.cluster.secret</c>: read, defaults, and every error named by its key path.</summary>
public sealed class StickyConfigReaderTests
{
    private const string Secret = "cluster.secret = \"0123456789abcdef\"\n";

    private static DroverConfig Read(string drover) =>
        DroverConfigReader.Read(HoconText.Parse($"drover {{ {drover} }}", "test"));

    private static string Pools(string sticky, string listeners = "") => $$"""
        listeners { web { mode = http, bind = "127.0.0.1:8080", routes = [ { pool = p } ] } {{listeners}} }
        pools.p { backends = [ { id = b1, address = "127.0.0.1:9001" } ], {{sticky}} }
        """;

    private static void AssertError(string drover, string path, string fragment)
    {
        var ex = Assert.Throws<ConfigException>(() => Read(drover));
        Assert.True(ex.Errors.Any(e => e.Path == path && e.Message.Contains(fragment, StringComparison.OrdinalIgnoreCase)),
            $"no error at {path} containing '{fragment}'; got:\n{string.Join("\n", ex.Errors)}");
    }

    [Fact]
    public void Sticky_is_off_by_default_and_reads_every_mode()
    {
        Assert.Equal(StickyConfig.Off, Read(Pools("")).Pools[0].Sticky);
        Assert.Equal(StickyConfig.Off, Read(Pools("sticky = off")).Pools[0].Sticky);

        var cookie = Read(Secret + "\n" + Pools("sticky { mode = cookie, cookie-name = SRV, ttl = 5m }")).Pools[0].Sticky;
        Assert.Equal((StickyMode.Cookie, "SRV", TimeSpan.FromMinutes(5)), (cookie.Mode, cookie.CookieName, cookie.Ttl));
        var header = Read(Pools("sticky { mode = \"header:X-User\" }")).Pools[0].Sticky;
        Assert.Equal((StickyMode.Header, "X-User", "DROVER", StickyConfig.DefaultTtl), (header.Mode, header.Name, header.CookieName, header.Ttl));
        Assert.Equal(StickyMode.ClientIp, Read(Pools("sticky { mode = client-ip }")).Pools[0].Sticky.Mode);
        var learn = Read(Pools("sticky { mode = \"learn-cookie:JSESSIONID\", ttl = 2h }")).Pools[0].Sticky;
        Assert.Equal((StickyMode.LearnCookie, "JSESSIONID", TimeSpan.FromHours(2)), (learn.Mode, learn.Name, learn.Ttl));
    }

    [Fact]
    public void Bad_sticky_blocks_are_errors_naming_the_key()
    {
        AssertError(Pools("sticky { mode = sometimes }"), "drover.pools.p.sticky.mode", "unknown sticky mode 'sometimes'");
        AssertError(Pools("sticky { mode = \"header:\" }"), "drover.pools.p.sticky.mode", "name is empty");
        AssertError(Pools("sticky { ttl = 5m }"), "drover.pools.p.sticky.mode", "required");
        AssertError(Pools("sticky { mode = client-ip, ttl = 0s }"), "drover.pools.p.sticky.ttl", "at least 1s");
        AssertError(Pools("sticky { mode = client-ip, tll = 5m }"), "drover.pools.p.sticky.tll", "unknown key");
        AssertError(Pools("sticky { mode = client-ip, cookie-name = X }"), "drover.pools.p.sticky.cookie-name", "mode = cookie only");
        AssertError(Secret + Pools("sticky { mode = cookie, cookie-name = \"a b\" }"), "drover.pools.p.sticky.cookie-name", "not a valid cookie name");
        AssertError(Pools("sticky = cookie"), "drover.pools.p.sticky", "must be an object");
    }

    [Fact]
    public void Cookie_mode_needs_a_long_enough_cluster_secret()
    {
        AssertError(Pools("sticky { mode = cookie }"), "drover.cluster.secret", "is required: pool 'p' uses sticky.mode = cookie");
        AssertError("cluster.secret = short\n" + Pools("sticky { mode = cookie }"), "drover.cluster.secret", "at least 16 characters");
        AssertError("cluster { secret = \"0123456789abcdef\", seeds = [] }\n" + Pools(""), "drover.cluster.seeds", "unknown key");
        Assert.Equal("0123456789abcdef", Read(Secret + "\n" + Pools("sticky { mode = cookie }")).Cluster.Secret);
    }

    [Fact]
    public void The_secret_comes_from_the_environment_and_never_shows_in_text()
    {
        var env = new Dictionary<string, string> { ["DROVER__CLUSTER__SECRET"] = "from-the-environment-0123" };
        var config = TestNode.Config($"drover {{ {Pools("sticky { mode = cookie }")} }}", env);
        Assert.Equal("from-the-environment-0123", config.Drover.Cluster.Secret);
        Assert.DoesNotContain("from-the-environment", config.Drover.Cluster.ToString());
        Assert.DoesNotContain("from-the-environment", config.Drover.ToString());
    }

    [Fact]
    public void A_pool_behind_a_tcp_listener_may_only_be_off_or_client_ip()
    {
        const string raw = "raw { mode = tcp, bind = \"127.0.0.1:8081\", pool = p }";
        AssertError(Pools("sticky { mode = \"header:X-User\" }", raw), "drover.pools.p.sticky.mode", "tcp listener 'raw' uses this pool (drover.listeners.raw.pool)");
        AssertError(Secret + Pools("sticky { mode = cookie }", "tls { mode = tcp, bind = \"127.0.0.1:8443\", sni-routes { \"a.test\" = p } }"),
            "drover.pools.p.sticky.mode", "tcp listener 'tls'");
        Assert.Equal(StickyMode.ClientIp, Read(Pools("sticky { mode = client-ip }", raw)).Pools[0].Sticky.Mode);
    }
}
