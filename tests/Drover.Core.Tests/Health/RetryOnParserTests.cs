using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class RetryOnParserTests
{
    [Fact]
    public void TryParse_TheDefaultListGivesTheDefaultFlags()
    {
        Assert.True(RetryOnParser.TryParse(["connect-failure", "reset-before-response", "502", "503", "504"], out var on, out var error));
        Assert.Equal("", error);
        Assert.Equal(RetryConfig.Default.On, on);
    }

    [Fact]
    public void TryParse_IgnoresCaseWhitespaceAndDuplicates()
    {
        Assert.True(RetryOnParser.TryParse([" Connect-Failure ", "503", "503 "], out var on, out _));
        Assert.Equal(RetryOn.ConnectFailure | RetryOn.Status503, on);
    }

    [Fact]
    public void TryParse_EmptyListMeansRetryNothing()
    {
        Assert.True(RetryOnParser.TryParse([], out var on, out var error));
        Assert.Equal(RetryOn.None, on);
        Assert.Equal("", error);
    }

    [Theory]
    [InlineData("500", "unknown retry condition '500' (expected connect-failure | reset-before-response | 502 | 503 | 504)")]
    [InlineData("5xx", "unknown retry condition '5xx'")]
    [InlineData("timeout", "unknown retry condition 'timeout'")]
    [InlineData(" ", "entry 2 is empty")]
    public void TryParse_RejectsWithAMessage(string bad, string message)
    {
        Assert.False(RetryOnParser.TryParse(["502", bad], out var on, out var error));
        Assert.Contains(message, error);
        Assert.Equal(RetryOn.None, on);
    }

    [Theory]
    [InlineData(502, true)]
    [InlineData(503, false)]
    [InlineData(504, true)]
    [InlineData(500, false)]
    [InlineData(200, false)]
    public void IsRetryStatus_FollowsTheFlags(int status, bool expected)
    {
        Assert.Equal(expected, (RetryOn.Status502 | RetryOn.Status504 | RetryOn.ConnectFailure).IsRetryStatus(status));
    }

    [Fact]
    public void ToConfigNames_RoundTrips()
    {
        var names = RetryConfig.Default.On.ToConfigNames();
        Assert.Equal(["connect-failure", "reset-before-response", "502", "503", "504"], names);
        Assert.True(RetryOnParser.TryParse(names, out var on, out _));
        Assert.Equal(RetryConfig.Default.On, on);
        Assert.Empty(RetryOn.None.ToConfigNames());
    }
}
