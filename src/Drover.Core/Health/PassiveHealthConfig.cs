using Drover.Core.Configuration;

namespace Drover.Core.Health;

/// <summary>
/// A pool's <c>health.passive { ... }</c>: outlier ejection from the faults the data path sees.
/// <see cref="ConsecutiveFailures"/> = 0 turns the consecutive rule off; <see cref="FailureRate"/> = 0
/// turns the rate rule off.
/// </summary>
/// <param name="ConsecutiveFailures">Backend faults in a row (no success between) that eject.</param>
/// <param name="FailureRate">0..1: failures / requests over <see cref="Window"/> at or above this ejects...</param>
/// <param name="Window">...counted over this trailing window...</param>
/// <param name="MinRequests">...once the window holds at least this many requests.</param>
/// <param name="EjectTime">The first ejection's length; each further one doubles it.</param>
/// <param name="MaxEjectTime">The cap of the doubling; also how long a backend must stay Up to be forgiven its past ejections.</param>
/// <param name="MaxEjected">0..1: the largest share of a pool's backends ejected at once (see <see cref="Health.MaxEjected"/>).</param>
public sealed record PassiveHealthConfig(
    int ConsecutiveFailures,
    double FailureRate,
    TimeSpan Window,
    int MinRequests,
    TimeSpan EjectTime,
    TimeSpan MaxEjectTime,
    double MaxEjected)
{
    public static readonly PassiveHealthConfig Default = new(
        ConsecutiveFailures: 5, FailureRate: 0.5, Window: TimeSpan.FromSeconds(10), MinRequests: 20,
        EjectTime: TimeSpan.FromSeconds(10), MaxEjectTime: TimeSpan.FromMinutes(5), MaxEjected: 0.5);

    /// <summary>Both rules off; the other values are the defaults.</summary>
    public static readonly PassiveHealthConfig Off = Default with { ConsecutiveFailures = 0, FailureRate = 0 };

    public bool ConsecutiveRuleEnabled => ConsecutiveFailures > 0;
    public bool RateRuleEnabled => FailureRate > 0;
    public bool Enabled => ConsecutiveRuleEnabled || RateRuleEnabled;

    /// <summary>Range checks, each named by its key under <paramref name="path"/> (e.g. <c>drover.pools.web.health.passive</c>).</summary>
    public IReadOnlyList<ConfigError> Validate(string path)
    {
        var errors = new List<ConfigError>();
        if (ConsecutiveFailures < 0)
            errors.Add(new ConfigError($"{path}.consecutive-failures", "must be 0 (off) or more"));
        if (!(FailureRate >= 0 && FailureRate <= 1))
            errors.Add(new ConfigError($"{path}.failure-rate", "must be from 0% (off) to 100%"));
        if (RateRuleEnabled && Window <= TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.window", "must be greater than zero"));
        if (RateRuleEnabled && MinRequests < 1)
            errors.Add(new ConfigError($"{path}.min-requests", "must be at least 1"));
        if (EjectTime <= TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.eject-time", "must be greater than zero"));
        if (MaxEjectTime < EjectTime)
            errors.Add(new ConfigError($"{path}.max-eject-time", $"must be at least eject-time ({HealthText.Duration(EjectTime)})"));
        if (!(MaxEjected >= 0 && MaxEjected <= 1))
            errors.Add(new ConfigError($"{path}.max-ejected", "must be from 0% to 100%"));
        return errors;
    }
}
