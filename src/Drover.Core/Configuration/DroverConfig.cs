namespace Drover.Core.Configuration;

/// <summary>The validated <c>drover { ... }</c> section: listeners and pools in config order.</summary>
public sealed record DroverConfig(
    IReadOnlyList<ListenerConfig> Listeners,
    IReadOnlyList<PoolConfig> Pools,
    DemoConfig Demo)
{
    /// <summary>The command host that the <c>drover</c> CLI talks to (<c>drover.cmd</c>).</summary>
    public CmdConfig Cmd { get; init; } = CmdConfig.Default;

    /// <summary>The admin HTTP endpoint: metrics, health, readiness, stats page (<c>drover.admin</c>).</summary>
    public AdminConfig Admin { get; init; } = AdminConfig.Default;

    /// <summary>One line per request and connection (<c>drover.access-log</c>).</summary>
    public AccessLogConfig AccessLog { get; init; } = AccessLogConfig.Default;

    /// <summary><c>drover.cluster</c>: what every node of the cluster shares (the cookie secret).</summary>
    public ClusterConfig Cluster { get; init; } = ClusterConfig.Default;

    /// <summary><c>drover.reload</c>: reload on a change of the config file (SIGHUP and <c>lb reload</c> always work).</summary>
    public ReloadConfig Reload { get; init; } = ReloadConfig.Default;

    /// <summary><c>drover.shutdown</c>: how long readiness fails before listeners close, and how long they drain.</summary>
    public ShutdownConfig Shutdown { get; init; } = ShutdownConfig.Default;

    /// <summary><c>drover.io</c>: the socket engine of the L7 data path.</summary>
    public IoConfig Io { get; init; } = IoConfig.Default;

    public PoolConfig? FindPool(string name)
    {
        foreach (var pool in Pools)
            if (pool.Name == name) return pool;
        return null;
    }
}
