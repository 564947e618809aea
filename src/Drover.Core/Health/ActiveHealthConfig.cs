using Drover.Core.Configuration;

namespace Drover.Core.Health;

/// <summary>A pool's <c>health.active { ... }</c>: periodic probes with rise/fall hysteresis.</summary>
/// <param name="Path">HTTP: the request path of the probe.</param>
/// <param name="Host">HTTP: the Host header; empty sends the backend's own address.</param>
/// <param name="ExpectStatus">HTTP: a status in this range is a good check.</param>
/// <param name="ExpectBody">HTTP: when not empty, the body must also contain this text.</param>
/// <param name="Interval">Time between probes of one backend (before jitter).</param>
/// <param name="Timeout">A probe with no verdict after this long is a failed check.</param>
/// <param name="Rise">Consecutive good checks that bring a Down backend back.</param>
/// <param name="Fall">Consecutive failed checks that take an Up backend down.</param>
/// <param name="Jitter">0..1: each delay varies by up to this fraction either way, so probes from many nodes spread out.</param>
public sealed record ActiveHealthConfig(
    ActiveCheckType Type,
    string Path,
    string Host,
    StatusRange ExpectStatus,
    string ExpectBody,
    TimeSpan Interval,
    TimeSpan Timeout,
    int Rise,
    int Fall,
    double Jitter)
{
    /// <summary>The shortest delay <see cref="NextDelay"/> returns, so a tiny interval cannot spin.</summary>
    public static readonly TimeSpan MinDelay = TimeSpan.FromMilliseconds(10);

    public static readonly ActiveHealthConfig HttpDefaults = new(
        ActiveCheckType.Http, "/healthz", "", StatusRange.Success, "",
        TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1), Rise: 2, Fall: 3, Jitter: 0.10);

    /// <summary>No active checks; the other values are the HTTP defaults, so turning checks on only needs a type.</summary>
    public static readonly ActiveHealthConfig Off = HttpDefaults with { Type = ActiveCheckType.Off };

    public bool Enabled => Type != ActiveCheckType.Off;

    /// <summary>
    /// The delay before the next probe: <c>Interval * (1 + Jitter * (2 * random01 - 1))</c>, never
    /// below <see cref="MinDelay"/>. <paramref name="random01"/> is a uniform draw in [0, 1]; out-of-range
    /// values are clamped so a bad caller cannot produce a negative delay.
    /// </summary>
    public TimeSpan NextDelay(double random01)
    {
        var r = double.IsNaN(random01) ? 0.5 : Math.Clamp(random01, 0, 1);
        var jitter = double.IsNaN(Jitter) ? 0 : Math.Clamp(Jitter, 0, 1);
        var ticks = Interval.Ticks * (1 + jitter * (2 * r - 1));
        return ticks <= MinDelay.Ticks ? MinDelay : TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Range checks, each named by its key under <paramref name="path"/> (e.g. <c>drover.pools.web.health.active</c>).</summary>
    public IReadOnlyList<ConfigError> Validate(string path)
    {
        var errors = new List<ConfigError>();
        if (!Enabled) return errors;
        if (Type == ActiveCheckType.Http && !Path.StartsWith('/'))
            errors.Add(new ConfigError($"{path}.path", $"'{Path}' must start with '/'"));
        if (Interval <= TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.interval", "must be greater than zero"));
        if (Timeout <= TimeSpan.Zero)
            errors.Add(new ConfigError($"{path}.timeout", "must be greater than zero"));
        if (Rise < 1)
            errors.Add(new ConfigError($"{path}.rise", "must be at least 1"));
        if (Fall < 1)
            errors.Add(new ConfigError($"{path}.fall", "must be at least 1"));
        if (!(Jitter >= 0 && Jitter < 1))
            errors.Add(new ConfigError($"{path}.jitter", "must be from 0% to below 100%"));
        return errors;
    }
}
