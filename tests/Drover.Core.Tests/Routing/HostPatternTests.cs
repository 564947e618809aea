using Drover.Core.Routing;
using Xunit;

namespace Drover.Core.Tests.Routing;

public class HostPatternTests
{
    [Theory]
    [InlineData("*", HostPatternKind.Any, "*", "")]
    [InlineData("*.x.y", HostPatternKind.Suffix, "*.x.y", ".x.y")]
    [InlineData("*.Example.ORG", HostPatternKind.Suffix, "*.example.org", ".example.org")]
    [InlineData("Host.Example", HostPatternKind.Exact, "host.example", "")]
    [InlineData(" host.example. ", HostPatternKind.Exact, "host.example", "")]
    [InlineData("localhost", HostPatternKind.Exact, "localhost", "")]
    [InlineData("10.0.0.1", HostPatternKind.Exact, "10.0.0.1", "")]
    public void TryParse_Accepts(string text, HostPatternKind kind, string normalized, string suffix)
    {
        Assert.True(HostPattern.TryParse(text, out var pattern, out var error));
        Assert.Equal("", error);
        Assert.Equal(kind, pattern.Kind);
        Assert.Equal(normalized, pattern.Text);
        Assert.Equal(suffix, pattern.Suffix);
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("..")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("a..b")]
    [InlineData("**.x")]
    [InlineData("x.*.y")]
    [InlineData("*.*")]
    [InlineData("300.1.1.1")]
    public void TryParse_Rejects(string? text)
    {
        Assert.False(HostPattern.TryParse(text, out _, out var error));
        Assert.Contains("is not *, a host name, or *.suffix", error);
    }

    [Theory]
    [InlineData("*", "anything", true)]
    [InlineData("*", "", true)]
    [InlineData("host.example", "HOST.example", true)]
    [InlineData("host.example", "a.host.example", false)]
    [InlineData("*.x.y", "a.x.y", true)]
    [InlineData("*.x.y", "a.b.X.Y", true)]
    [InlineData("*.x.y", "x.y", false)]
    [InlineData("*.x.y", ".x.y", false)]
    [InlineData("*.x.y", "ax.y", false)]
    public void Matches(string pattern, string host, bool expected)
    {
        Assert.True(HostPattern.TryParse(pattern, out var p, out _));
        Assert.Equal(expected, p.Matches(host));
    }
}
