using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class PassiveHealthConfigTests
{
    [Fact]
    public void Default_MatchesTheDocumentedValues()
    {
        var c = PassiveHealthConfig.Default;
        Assert.Equal(5, c.ConsecutiveFailures);
        Assert.Equal(0.5, c.FailureRate);
        Assert.Equal(TimeSpan.FromSeconds(10), c.Window);
        Assert.Equal(20, c.MinRequests);
        Assert.Equal(TimeSpan.FromSeconds(10), c.EjectTime);
        Assert.Equal(TimeSpan.FromMinutes(5), c.MaxEjectTime);
        Assert.Equal(0.5, c.MaxEjected);
        Assert.True(c.ConsecutiveRuleEnabled);
        Assert.True(c.RateRuleEnabled);
    }

    [Fact]
    public void Off_TurnsBothRulesOff()
    {
        Assert.Equal(0, PassiveHealthConfig.Off.ConsecutiveFailures);
        Assert.Equal(0, PassiveHealthConfig.Off.FailureRate);
        Assert.False(PassiveHealthConfig.Off.Enabled);
        Assert.Empty(PassiveHealthConfig.Off.Validate("p"));
    }

    [Fact]
    public void Validate_NamesEveryBadKey()
    {
        var bad = new PassiveHealthConfig(-1, 1.5, TimeSpan.Zero, 0, TimeSpan.Zero, TimeSpan.FromSeconds(-1), -0.1);
        var errors = bad.Validate("p.passive");
        Assert.Equal(
            ["consecutive-failures", "failure-rate", "window", "min-requests", "eject-time", "max-eject-time", "max-ejected"],
            errors.Select(e => e.Path["p.passive.".Length..]));
    }

    [Fact]
    public void Validate_MaxEjectTimeBelowEjectTimeIsAnError()
    {
        var errors = (PassiveHealthConfig.Default with { EjectTime = TimeSpan.FromMinutes(1), MaxEjectTime = TimeSpan.FromSeconds(30) }).Validate("p");
        var error = Assert.Single(errors);
        Assert.Equal("p.max-eject-time", error.Path);
        Assert.Equal("must be at least eject-time (1m)", error.Message);
    }
}
