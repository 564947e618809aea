namespace Drover.Core.Configuration;

/// <summary>
/// <c>drover.shutdown</c>: the order of an orderly stop (SIGTERM, <c>cluster leave</c>). First
/// <c>/readyz</c> turns 503 while the listeners keep serving for <see cref="ReadyDelay"/>, so a
/// balancer or Service that polls readiness stops sending before anything closes; then the
/// listeners stop accepting and drain requests in flight for up to <see cref="DrainTimeout"/>;
/// then the node hands its shards off and leaves.
/// </summary>
public sealed record ShutdownConfig(TimeSpan ReadyDelay, TimeSpan DrainTimeout)
{
    public static readonly TimeSpan DefaultReadyDelay = TimeSpan.FromSeconds(2);
    public static readonly TimeSpan DefaultDrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Upper bounds: a stop that waits longer than this is a misconfiguration, not a drain.</summary>
    public static readonly TimeSpan MaxReadyDelay = TimeSpan.FromMinutes(1);
    public static readonly TimeSpan MaxDrainTimeout = TimeSpan.FromMinutes(10);

    public static readonly ShutdownConfig Default = new(DefaultReadyDelay, DefaultDrainTimeout);
}
