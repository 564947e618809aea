using Drover.Core.Configuration;
using Drover.Core.Routing;
using Xunit;

namespace Drover.Core.Tests.Routing;

public class SniRouteTableTests
{
    private static SniRouteTable<string> Table(string? fallback, params (string Name, string Pool)[] routes) =>
        new(routes.Select(r => new SniRouteConfig(r.Name, r.Pool)).ToArray(), pool => pool, fallback);

    private static readonly SniRouteTable<string> Routes = Table("fallback",
        ("*.example.org", "wild"),
        ("*.eu.example.org", "wild-eu"),
        ("api.eu.example.org", "exact-api"),
        ("Shop.Example.ORG", "exact-shop"));

    [Theory]
    [InlineData("api.eu.example.org", "exact-api")] // exact beats both wildcards that also match
    [InlineData("shop.example.org", "exact-shop")] // exact beats *.example.org
    [InlineData("SHOP.example.org", "exact-shop")]
    [InlineData("web.eu.example.org", "wild-eu")] // longest suffix wins, whatever the config order
    [InlineData("a.b.eu.example.org", "wild-eu")]
    [InlineData("web.example.org", "wild")]
    [InlineData("eu.example.org", "wild")]
    [InlineData("A.Example.Org", "wild")]
    public void Match_ExactThenLongestSuffix(string serverName, string expected)
    {
        Assert.Equal(expected, Routes.Match(serverName));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("example.org")] // a wildcard does not match its own suffix
    [InlineData("badexample.org")]
    [InlineData("other.net")]
    public void NoServerNameOrNoMatch_GoesToFallback(string? serverName)
    {
        Assert.Equal("fallback", Routes.Match(serverName));
    }

    [Fact]
    public void NullFallback_NoMatchReturnsNull()
    {
        var table = Table(null, ("a.example.org", "a"));

        Assert.Null(table.Fallback);
        Assert.Null(table.Match(null));
        Assert.Null(table.Match("b.example.org"));
        Assert.Equal("a", table.Match("a.example.org"));
    }

    [Theory]
    [InlineData("*")]
    [InlineData("bad name")]
    [InlineData("")]
    public void RejectsAnyAndInvalidNames(string serverName)
    {
        Assert.Throws<ArgumentException>(() => Table("fallback", (serverName, "p")));
    }
}
