using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class HealthTextTests
{
    [Theory]
    [InlineData(0, "0s")]
    [InlineData(-5_000, "0s")]
    [InlineData(250, "250ms")]
    [InlineData(10_000, "10s")]
    [InlineData(1_500, "1s500ms")]
    [InlineData(90_000, "1m30s")]
    [InlineData(300_000, "5m")]
    [InlineData(3_600_000, "1h")]
    public void Duration_IsCompact(int ms, string expected)
    {
        Assert.Equal(expected, HealthText.Duration(TimeSpan.FromMilliseconds(ms)));
    }

    [Theory]
    [InlineData(0.62, "62%")]
    [InlineData(0.5, "50%")]
    [InlineData(1.0, "100%")]
    [InlineData(0.625, "63%")]
    public void Percent_IsWholePercent(double fraction, string expected)
    {
        Assert.Equal(expected, HealthText.Percent(fraction));
    }
}
