namespace Drover.Core.Health;

/// <summary>
/// Ramps a new or recovered backend's weight so it is not flooded while cold (empty caches, JIT,
/// connection pools): linear from <see cref="StartFraction"/> of the configured weight to all of it
/// over the slow-start period, counted from <see cref="BackendHealth.UsableSince"/>.
/// </summary>
/// <remarks>
/// Weights are integers and at least 1, so a backend of weight 1 cannot ramp at all next to other
/// weight-1 backends. A pool that wants slow start to bite should pass every backend's weight times a
/// common scale (e.g. x10) while any backend ramps; the balancers only use the ratios.
/// </remarks>
public static class SlowStart
{
    /// <summary>The share of the configured weight a backend starts with.</summary>
    public const double StartFraction = 0.1;

    /// <summary>
    /// The weight to balance with now: at least 1 (for a configured weight of 1 or more), growing
    /// linearly from ~10% to the configured weight; the configured weight when
    /// <paramref name="slowStart"/> &lt;= 0 or the ramp is over. A weight of 0 stays 0.
    /// </summary>
    public static int EffectiveWeight(int configured, TimeSpan usableSince, TimeSpan now, TimeSpan slowStart)
    {
        if (configured <= 0) return 0;
        if (!IsRamping(usableSince, now, slowStart)) return configured;
        // A clock a little behind usableSince (time taken before the transition) counts as the start.
        var elapsed = now < usableSince ? 0 : (double)(now - usableSince).Ticks / slowStart.Ticks;
        var fraction = StartFraction + (1 - StartFraction) * elapsed;
        // The epsilon keeps 100 * 0.55 from flooring to 54 on binary rounding.
        return Math.Clamp((int)(configured * fraction + 1e-9), 1, configured);
    }

    /// <summary>Whether the weight is still below the configured one (the pool rebuilds its snapshot as it grows).</summary>
    public static bool IsRamping(TimeSpan usableSince, TimeSpan now, TimeSpan slowStart) =>
        slowStart > TimeSpan.Zero && now - usableSince < slowStart;
}
