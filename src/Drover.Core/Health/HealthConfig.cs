using Drover.Core.Configuration;

namespace Drover.Core.Health;

/// <summary>A pool's <c>health { active { ... }, passive { ... } }</c>.</summary>
public sealed record HealthConfig(ActiveHealthConfig Active, PassiveHealthConfig Passive)
{
    /// <summary>
    /// Active checks are opt-in (a backend without a health endpoint must not be marked down by
    /// default); passive outlier ejection is on, since it only reacts to real faults.
    /// </summary>
    public static readonly HealthConfig Default = new(ActiveHealthConfig.Off, PassiveHealthConfig.Default);

    /// <summary>
    /// In a cluster: how many nodes must report a backend passively ejected before it is ejected on
    /// every node (one node's bad link alone ejects it only on that node). 1 = any node's ejection is
    /// cluster-wide.
    /// </summary>
    public int Quorum { get; init; } = 2;

    /// <summary>Range checks of both parts under <paramref name="path"/> (e.g. <c>drover.pools.web.health</c>).</summary>
    public IReadOnlyList<ConfigError> Validate(string path)
    {
        var errors = new List<ConfigError>();
        errors.AddRange(Active.Validate($"{path}.active"));
        errors.AddRange(Passive.Validate($"{path}.passive"));
        if (Quorum < 1)
            errors.Add(new ConfigError($"{path}.quorum", "must be at least 1"));
        return errors;
    }
}
