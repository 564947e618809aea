using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class SlowStartTests
{
    private static readonly TimeSpan Since = TimeSpan.FromSeconds(1000);
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(40);

    private static TimeSpan At(double fraction) => Since + Period * fraction;

    [Theory]
    [InlineData(0.0, 10)]    // starts at ~10%
    [InlineData(0.25, 32)]   // 10 + 90 * 0.25 = 32.5
    [InlineData(0.5, 55)]
    [InlineData(0.75, 77)]   // 77.5
    [InlineData(1.0, 100)]   // the ramp is over
    [InlineData(3.0, 100)]
    public void EffectiveWeight_RampsLinearlyFromATenthToTheConfiguredWeight(double fraction, int expected)
    {
        Assert.Equal(expected, SlowStart.EffectiveWeight(100, Since, At(fraction), Period));
    }

    [Fact]
    public void EffectiveWeight_NeverDecreasesDuringTheRamp()
    {
        var previous = 0;
        for (var ms = 0; ms <= 41_000; ms += 250)
        {
            var w = SlowStart.EffectiveWeight(37, Since, Since + TimeSpan.FromMilliseconds(ms), Period);
            Assert.InRange(w, previous, 37);
            previous = w;
        }
        Assert.Equal(37, previous);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void EffectiveWeight_ZeroStaysZero(double fraction)
    {
        Assert.Equal(0, SlowStart.EffectiveWeight(0, Since, At(fraction), Period));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    public void EffectiveWeight_NoSlowStartIsTheConfiguredWeight(int slowStartSeconds)
    {
        Assert.Equal(100, SlowStart.EffectiveWeight(100, Since, Since, TimeSpan.FromSeconds(slowStartSeconds)));
        Assert.False(SlowStart.IsRamping(Since, Since, TimeSpan.FromSeconds(slowStartSeconds)));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(5)]
    [InlineData(9)]
    public void EffectiveWeight_IsAtLeastOneForAPositiveWeight(int configured)
    {
        for (var f = 0.0; f <= 1.0; f += 0.05)
            Assert.InRange(SlowStart.EffectiveWeight(configured, Since, At(f), Period), 1, configured);
    }

    [Fact]
    public void EffectiveWeight_AClockBehindUsableSinceCountsAsTheStart()
    {
        Assert.Equal(10, SlowStart.EffectiveWeight(100, Since, Since - TimeSpan.FromSeconds(1), Period));
    }

    [Fact]
    public void IsRamping_UntilThePeriodHasPassed()
    {
        Assert.True(SlowStart.IsRamping(Since, Since, Period));
        Assert.True(SlowStart.IsRamping(Since, At(0.999), Period));
        Assert.False(SlowStart.IsRamping(Since, At(1), Period));
        Assert.False(SlowStart.IsRamping(Since, At(2), Period));
    }
}
