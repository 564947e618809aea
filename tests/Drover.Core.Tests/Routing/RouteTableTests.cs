using Drover.Core.Configuration;
using Drover.Core.Routing;
using Xunit;

namespace Drover.Core.Tests.Routing;

public class RouteTableTests
{
    private static RouteTable<string> Compile(params RouteConfig[] routes) => RouteTable<string>.Compile(routes, pool => pool);

    private static string? Match(RouteTable<string> table, string host, string path = "/", string method = "GET",
        Dictionary<string, string>? headers = null)
    {
        var h = new DictionaryHeaders(headers);
        return table.Match(host, path, method, ref h)?.Target;
    }

    [Theory]
    [InlineData("example.org", true)]
    [InlineData("EXAMPLE.org", true)]
    [InlineData("example.org:8080", true)]
    [InlineData("example.org.", true)]
    [InlineData("example.org.:8443", true)]
    [InlineData("www.example.org", false)]
    [InlineData("example.or", false)]
    [InlineData("example.org.uk", false)]
    [InlineData("", false)]
    public void ExactHost(string host, bool matches)
    {
        var table = Compile(new RouteConfig("Example.ORG", "/", "exact"));

        Assert.Equal(matches ? "exact" : null, Match(table, host));
    }

    [Theory]
    [InlineData("a.example.org", true)]
    [InlineData("a.b.example.org", true)]
    [InlineData("A.Example.Org:80", true)]
    [InlineData("a.example.org.", true)]
    [InlineData("example.org", false)]
    [InlineData("badexample.org", false)]
    [InlineData(".example.org", false)]
    [InlineData("a.example.org.evil", false)]
    public void WildcardHost(string host, bool matches)
    {
        var table = Compile(new RouteConfig("*.example.org", "/", "wild"));

        Assert.Equal(matches ? "wild" : null, Match(table, host));
    }

    [Theory]
    [InlineData("example.org")]
    [InlineData("anything.at.all:1234")]
    [InlineData("[::1]:8080")]
    [InlineData("")]
    public void AnyHost(string host)
    {
        var table = Compile(new RouteConfig("*", "/", "any"));

        Assert.Equal("any", Match(table, host));
    }

    [Theory]
    [InlineData("example.org:8080", "example.org")]
    [InlineData("example.org", "example.org")]
    [InlineData("example.org.", "example.org")]
    [InlineData("example.org.:443", "example.org")]
    [InlineData("[::1]:80", "[::1]")]
    [InlineData("[::1]", "[::1]")]
    public void StripPort(string host, string expected)
    {
        Assert.Equal(expected, RouteTable<string>.StripPort(host).ToString());
    }

    [Theory]
    [InlineData("/api", "api")]
    [InlineData("/api/v1/users", "api")]
    [InlineData("/static/app.js", "static")]
    [InlineData("/", "root")]
    [InlineData("/other", "root")]
    [InlineData("/API", "root")] // prefixes are case-sensitive, like paths
    public void PathPrefix(string path, string expected)
    {
        var table = Compile(
            new RouteConfig("*", "/api", "api"),
            new RouteConfig("*", "/static/", "static"),
            new RouteConfig("*", "/", "root"));

        Assert.Equal(expected, Match(table, "example.org", path));
    }

    [Fact]
    public void FirstMatchInConfigOrderWins_ABroaderRouteFirstShadowsANarrowerOne()
    {
        var broadFirst = Compile(
            new RouteConfig("*", "/", "broad"),
            new RouteConfig("*", "/api", "narrow"),
            new RouteConfig("api.example.org", "/", "host"));
        var narrowFirst = Compile(
            new RouteConfig("api.example.org", "/", "host"),
            new RouteConfig("*", "/api", "narrow"),
            new RouteConfig("*", "/", "broad"));

        Assert.Equal("broad", Match(broadFirst, "api.example.org", "/api/x"));
        Assert.Equal("broad", Match(broadFirst, "example.org", "/api/x"));
        Assert.Equal("host", Match(narrowFirst, "api.example.org", "/api/x"));
        Assert.Equal("narrow", Match(narrowFirst, "example.org", "/api/x"));
        Assert.Equal("broad", Match(narrowFirst, "example.org", "/x"));
    }

    [Fact]
    public void HeaderPresence_AnyValue()
    {
        var table = Compile(
            new RouteConfig("*", "/", "canary", HeaderName: "X-Canary"),
            new RouteConfig("*", "/", "stable"));

        Assert.Equal("canary", Match(table, "h", headers: new() { ["X-Canary"] = "" }));
        Assert.Equal("canary", Match(table, "h", headers: new() { ["x-canary"] = "yes" }));
        Assert.Equal("stable", Match(table, "h", headers: new() { ["X-Other"] = "yes" }));
        Assert.Equal("stable", Match(table, "h"));
    }

    [Fact]
    public void HeaderValue_MustBeEqual_CaseSensitive()
    {
        var table = Compile(
            new RouteConfig("*", "/", "beta", HeaderName: "X-Track", HeaderValue: "beta"),
            new RouteConfig("*", "/", "stable"));

        Assert.Equal("beta", Match(table, "h", headers: new() { ["X-Track"] = "beta" }));
        Assert.Equal("stable", Match(table, "h", headers: new() { ["X-Track"] = "Beta" }));
        Assert.Equal("stable", Match(table, "h", headers: new() { ["X-Track"] = "beta2" }));
        Assert.Equal("stable", Match(table, "h", headers: new() { ["X-Track"] = "bet" }));
        Assert.Equal("stable", Match(table, "h"));
    }

    [Fact]
    public void Methods_RequestMethodMustBeListed()
    {
        var table = Compile(
            new RouteConfig("*", "/", "writes", Methods: ["POST", "PUT", "DELETE"]),
            new RouteConfig("*", "/", "reads", Methods: ["GET", "HEAD"]));

        Assert.Equal("writes", Match(table, "h", method: "POST"));
        Assert.Equal("writes", Match(table, "h", method: "DELETE"));
        Assert.Equal("reads", Match(table, "h", method: "GET"));
        Assert.Equal("reads", Match(table, "h", method: "HEAD"));
        Assert.Null(Match(table, "h", method: "PATCH"));
    }

    [Fact]
    public void AllConditionsMustHold()
    {
        var table = Compile(new RouteConfig("*.example.org", "/api", "api", "X-Key", "k1", ["POST"]));
        var ok = new Dictionary<string, string> { ["X-Key"] = "k1" };

        Assert.Equal("api", Match(table, "a.example.org", "/api/x", "POST", ok));
        Assert.Null(Match(table, "example.org", "/api/x", "POST", ok));
        Assert.Null(Match(table, "a.example.org", "/web", "POST", ok));
        Assert.Null(Match(table, "a.example.org", "/api/x", "GET", ok));
        Assert.Null(Match(table, "a.example.org", "/api/x", "POST", new() { ["X-Key"] = "k2" }));
        Assert.Null(Match(table, "a.example.org", "/api/x", "POST"));
    }

    [Fact]
    public void NoMatch_ReturnsNull()
    {
        var table = Compile(
            new RouteConfig("a.example.org", "/", "a"),
            new RouteConfig("*.example.net", "/api", "b"));

        Assert.Null(Match(table, "b.example.org"));
        Assert.Null(Match(table, "x.example.net", "/web"));
        Assert.Null(Match(Compile(), "a.example.org"));
    }

    [Fact]
    public void Compile_ResolvesPoolsOnce_AndDescribesRoutes()
    {
        var resolved = new List<string>();
        var table = RouteTable<string>.Compile(
            [new RouteConfig("*", "/a", "p1", "X-H", "v", ["GET"]), new RouteConfig("h.example", "/", "p2")],
            pool => { resolved.Add(pool); return "target-" + pool; });

        Assert.Equal(["p1", "p2"], resolved);
        Assert.Equal(["target-p1", "target-p2"], table.Routes.Select(r => r.Target));
        Assert.Equal("host=* path-prefix=/a header=X-H=v methods=GET -> p1", table.Routes[0].Description);
        Assert.Equal("host=h.example path-prefix=/ -> p2", table.Routes[1].Description);
    }

    [Fact]
    public void Compile_RejectsABadHostPattern()
    {
        Assert.Throws<ArgumentException>(() => Compile(new RouteConfig("bad host", "/", "p")));
    }
}
