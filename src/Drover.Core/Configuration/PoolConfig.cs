using Drover.Core.Balancing;
using Drover.Core.Health;
using Drover.Core.Sessions;

namespace Drover.Core.Configuration;

/// <summary>
/// <c>drover.pools.NAME</c>. The positional part is what every pool needs; the resilience settings
/// are optional and default to what a user of HAProxy or Envoy would expect.
/// </summary>
public sealed record PoolConfig(
    string Name,
    BalanceMode Balance,
    HashKey HashKey,
    IReadOnlyList<BackendConfig> Backends,
    TimeoutsConfig Timeouts)
{
    public string Path => $"drover.pools.{Name}";

    /// <summary><c>health { active { ... }, passive { ... } }</c>.</summary>
    public HealthConfig Health { get; init; } = HealthConfig.Default;

    /// <summary><c>retries { attempts, budget, on }</c>.</summary>
    public RetryConfig Retries { get; init; } = RetryConfig.Default;

    /// <summary><c>max-connections</c>: requests in flight plus open TCP connections per backend; 0 = unlimited.</summary>
    public int MaxConnections { get; init; }

    /// <summary><c>queue { size, timeout }</c>: used only when <see cref="MaxConnections"/> is set.</summary>
    public QueueConfig Queue { get; init; } = QueueConfig.Default;

    /// <summary><c>slow-start</c>: ramp of a new or recovered backend's weight; zero = off.</summary>
    public TimeSpan SlowStart { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary><c>all-unhealthy = fail | use-all</c>.</summary>
    public AllUnhealthyMode AllUnhealthy { get; init; } = AllUnhealthyMode.Fail;

    /// <summary><c>sticky { mode, cookie-name, ttl }</c>: sticky sessions; off by default.</summary>
    public StickyConfig Sticky { get; init; } = StickyConfig.Off;
}
