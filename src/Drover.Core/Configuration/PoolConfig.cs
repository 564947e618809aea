using Drover.Core.Balancing;

namespace Drover.Core.Configuration;

/// <summary><c>drover.pools.NAME</c>.</summary>
public sealed record PoolConfig(
    string Name,
    BalanceMode Balance,
    HashKey HashKey,
    IReadOnlyList<BackendConfig> Backends,
    TimeoutsConfig Timeouts)
{
    public string Path => $"drover.pools.{Name}";
}
