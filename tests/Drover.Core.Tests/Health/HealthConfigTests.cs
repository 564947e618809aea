using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class HealthConfigTests
{
    [Fact]
    public void Default_ActiveChecksAreOptInPassiveIsOn()
    {
        Assert.Same(ActiveHealthConfig.Off, HealthConfig.Default.Active);
        Assert.Same(PassiveHealthConfig.Default, HealthConfig.Default.Passive);
        Assert.Empty(HealthConfig.Default.Validate("drover.pools.web.health"));
    }

    [Fact]
    public void Validate_PrefixesEachPartsPath()
    {
        var config = new HealthConfig(
            ActiveHealthConfig.HttpDefaults with { Fall = 0 },
            PassiveHealthConfig.Default with { MinRequests = 0 });
        var errors = config.Validate("drover.pools.web.health");
        Assert.Equal(
            ["drover.pools.web.health.active.fall", "drover.pools.web.health.passive.min-requests"],
            errors.Select(e => e.Path));
    }
}
