namespace Drover.Core.Configuration;

/// <summary>The validated <c>drover { ... }</c> section: listeners and pools in config order.</summary>
public sealed record DroverConfig(
    IReadOnlyList<ListenerConfig> Listeners,
    IReadOnlyList<PoolConfig> Pools,
    DemoConfig Demo)
{
    /// <summary><c>drover.cluster</c>: what every node of the cluster shares (the cookie secret).</summary>
    public ClusterConfig Cluster { get; init; } = ClusterConfig.Default;

    public PoolConfig? FindPool(string name)
    {
        foreach (var pool in Pools)
            if (pool.Name == name) return pool;
        return null;
    }
}
