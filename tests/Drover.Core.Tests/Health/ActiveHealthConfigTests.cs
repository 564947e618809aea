using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class ActiveHealthConfigTests
{
    private static readonly TimeSpan TwoSeconds = TimeSpan.FromSeconds(2);

    [Fact]
    public void HttpDefaults_MatchTheDocumentedValues()
    {
        var c = ActiveHealthConfig.HttpDefaults;
        Assert.Equal(ActiveCheckType.Http, c.Type);
        Assert.Equal("/healthz", c.Path);
        Assert.Equal("", c.Host);
        Assert.Equal(new StatusRange(200, 399), c.ExpectStatus);
        Assert.Equal("", c.ExpectBody);
        Assert.Equal(TwoSeconds, c.Interval);
        Assert.Equal(TimeSpan.FromSeconds(1), c.Timeout);
        Assert.Equal(2, c.Rise);
        Assert.Equal(3, c.Fall);
        Assert.Equal(0.10, c.Jitter);
        Assert.True(c.Enabled);
    }

    [Fact]
    public void Off_IsTheDefaultsWithTypeOff()
    {
        Assert.Equal(ActiveCheckType.Off, ActiveHealthConfig.Off.Type);
        Assert.False(ActiveHealthConfig.Off.Enabled);
        Assert.Equal(ActiveHealthConfig.HttpDefaults with { Type = ActiveCheckType.Off }, ActiveHealthConfig.Off);
    }

    [Theory]
    [InlineData(0.0, 1800)]
    [InlineData(0.25, 1900)]
    [InlineData(0.5, 2000)]
    [InlineData(1.0, 2200)]
    [InlineData(-3.0, 1800)]   // clamped
    [InlineData(7.0, 2200)]    // clamped
    public void NextDelay_SpreadsByJitterEitherWay(double random01, int expectedMs)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(expectedMs), ActiveHealthConfig.HttpDefaults.NextDelay(random01));
    }

    [Fact]
    public void NextDelay_StaysWithinTheJitterBoundsForManyDraws()
    {
        var config = ActiveHealthConfig.HttpDefaults with { Jitter = 0.25 };
        var random = new Random(42);
        var (low, high) = (TimeSpan.MaxValue, TimeSpan.Zero);
        for (var i = 0; i < 10_000; i++)
        {
            var delay = config.NextDelay(random.NextDouble());
            Assert.InRange(delay, TimeSpan.FromMilliseconds(1500), TimeSpan.FromMilliseconds(2500));
            if (delay < low) low = delay;
            if (delay > high) high = delay;
        }
        // The draws really spread: close to both ends, not all at the interval.
        Assert.True(low < TimeSpan.FromMilliseconds(1520), $"lowest {low}");
        Assert.True(high > TimeSpan.FromMilliseconds(2480), $"highest {high}");
    }

    [Fact]
    public void NextDelay_WithoutJitterIsTheInterval()
    {
        var config = ActiveHealthConfig.HttpDefaults with { Jitter = 0 };
        Assert.Equal(TwoSeconds, config.NextDelay(0));
        Assert.Equal(TwoSeconds, config.NextDelay(1));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(6)]   // 6 ms + 50% is still below the floor
    public void NextDelay_NeverBelowTenMilliseconds(int intervalMs)
    {
        var config = ActiveHealthConfig.HttpDefaults with { Interval = TimeSpan.FromMilliseconds(intervalMs), Jitter = 0.5 };
        Assert.Equal(TimeSpan.FromMilliseconds(10), config.NextDelay(0));
        Assert.Equal(TimeSpan.FromMilliseconds(10), config.NextDelay(1));
    }

    [Fact]
    public void Validate_TheDefaultsAndOffAreValid()
    {
        Assert.Empty(ActiveHealthConfig.HttpDefaults.Validate("p.active"));
        Assert.Empty((ActiveHealthConfig.HttpDefaults with { Type = ActiveCheckType.Tcp }).Validate("p.active"));
        // Off ignores the other values: they are never used.
        Assert.Empty((ActiveHealthConfig.Off with { Rise = 0 }).Validate("p.active"));
    }

    [Fact]
    public void Validate_NamesEveryBadKey()
    {
        var bad = ActiveHealthConfig.HttpDefaults with
        {
            Path = "healthz", Interval = TimeSpan.Zero, Timeout = TimeSpan.FromSeconds(-1), Rise = 0, Fall = 0, Jitter = 1,
        };
        var errors = bad.Validate("drover.pools.web.health.active");
        Assert.Equal(
            ["path", "interval", "timeout", "rise", "fall", "jitter"],
            errors.Select(e => e.Path["drover.pools.web.health.active.".Length..]));
        Assert.Contains("'healthz' must start with '/'", errors[0].Message);
    }
}
