using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class StatusRangeTests
{
    [Theory]
    [InlineData("200-399", 200, 399)]
    [InlineData("200", 200, 200)]
    [InlineData(" 200 - 399 ", 200, 399)]
    [InlineData("\t204\n", 204, 204)]
    [InlineData("100-599", 100, 599)]
    [InlineData("599", 599, 599)]
    [InlineData("301-301", 301, 301)]
    public void TryParse_Accepts(string text, int min, int max)
    {
        Assert.True(StatusRange.TryParse(text, out var range, out var error));
        Assert.Equal("", error);
        Assert.Equal(new StatusRange(min, max), range);
    }

    [Theory]
    [InlineData(null, "the status range is empty")]
    [InlineData("  ", "the status range is empty")]
    [InlineData("abc", "'abc' is not a status code or range")]
    [InlineData("2xx", "'2xx' is not a status code or range")]
    [InlineData("200-", "'200-' is not a status code or range")]
    [InlineData("-200", "'-200' is not a status code or range")]
    [InlineData("+200", "'+200' is not a status code or range")]
    [InlineData("200-399-400", "'200-399-400' is not a status code or range")]
    [InlineData("99", "'99': status codes must be within 100-599")]
    [InlineData("600", "'600': status codes must be within 100-599")]
    [InlineData("200-600", "'200-600': status codes must be within 100-599")]
    [InlineData("99999", "'99999' is not a status code or range")]
    [InlineData("400-200", "'400-200': the first status is greater than the second")]
    public void TryParse_RejectsWithAMessage(string? text, string message)
    {
        Assert.False(StatusRange.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData(199, false)]
    [InlineData(200, true)]
    [InlineData(302, true)]
    [InlineData(399, true)]
    [InlineData(400, false)]
    [InlineData(500, false)]
    public void Contains_IsInclusiveAtBothEnds(int status, bool expected)
    {
        Assert.Equal(expected, new StatusRange(200, 399).Contains(status));
    }

    [Theory]
    [InlineData("200-399")]
    [InlineData("204")]
    public void ToString_RoundTrips(string text)
    {
        Assert.True(StatusRange.TryParse(text, out var range, out _));
        Assert.Equal(text, range.ToString());
    }
}
