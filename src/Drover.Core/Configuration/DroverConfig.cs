namespace Drover.Core.Configuration;

/// <summary>The validated <c>drover { ... }</c> section: listeners and pools in config order.</summary>
public sealed record DroverConfig(
    IReadOnlyList<ListenerConfig> Listeners,
    IReadOnlyList<PoolConfig> Pools,
    DemoConfig Demo)
{
    public PoolConfig? FindPool(string name)
    {
        foreach (var pool in Pools)
            if (pool.Name == name) return pool;
        return null;
    }
}
