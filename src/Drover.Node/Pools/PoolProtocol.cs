using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;

namespace Drover.Node.Pools;

/// <summary>Messages to and from a <see cref="PoolActor"/>, and the events it publishes on the event stream.</summary>
public static class PoolProtocol
{
    /// <summary>
    /// Told by the data path: a backend fault (connect failure, reset, timeout, 5xx), never a client's.
    /// <paramref name="Streak"/> is the backend's failure streak including this one, as the data path
    /// counted it, and <paramref name="Generation"/> which streak that is: a newer generation means a
    /// success (or the actor's verdict) ended the one before. Reports from different threads may
    /// arrive out of streak order.
    /// </summary>
    public sealed record BackendFailed(int Ordinal, int Streak, int Generation, string Detail);

    /// <summary>Sets a backend's admin state; answered with <see cref="AdminStateResult"/>.</summary>
    public sealed record SetAdminState(string BackendId, AdminState State);

    public sealed record AdminStateResult(bool Ok, string Message);

    /// <summary>Asks for the pool's state (CLI, tests); answered with <see cref="PoolState"/>.</summary>
    public sealed record GetState
    {
        public static readonly GetState Instance = new();
    }

    public sealed record PoolState(string Pool, string Balance, long Version, bool Panic, int QueueWaiting, IReadOnlyList<BackendState> Backends);

    /// <param name="Weight">The weight new traffic is balanced with now (0 when not a candidate; below the configured weight while slow start ramps).</param>
    /// <param name="Health">up | down | ejected.</param>
    /// <param name="HealthReason">Why the last health change happened; empty while it never changed.</param>
    /// <param name="Admin">ready | drain | maint.</param>
    /// <param name="Drained">Draining (or in maint) and nothing in flight any more.</param>
    /// <param name="SetWeight">The weight set at run time with <c>lb weight</c> (cluster-wide), which replaces <paramref name="ConfiguredWeight"/> as the base; null when none is set.</param>
    public sealed record BackendState(
        string Id,
        string Address,
        int Weight,
        int ConfiguredWeight,
        bool Candidate,
        string Health,
        string HealthReason,
        string Admin,
        bool Drained,
        long Active,
        long Requests,
        long Failures,
        long Retries,
        double LatencyEwmaMs,
        StateChanges Changes,
        int? SetWeight = null);

    /// <summary>How many times a backend went down (active checks), was ejected (passive), came back up, and finished a drain.</summary>
    public sealed record StateChanges(int Downs, int Ejections, int Recoveries, int DrainsCompleted);

    /// <summary>Published on the event stream when a backend's health status changes.</summary>
    public sealed record BackendHealthChanged(string Pool, string BackendId, BackendHealthStatus From, BackendHealthStatus To, string Reason);

    /// <summary>Published on the event stream when a backend's admin state changes.</summary>
    public sealed record BackendAdminChanged(string Pool, string BackendId, AdminState From, AdminState To);

    /// <summary>Published once when a draining (or maint) backend's last in-flight request or connection has ended.</summary>
    public sealed record BackendDrained(string Pool, string BackendId);

    /// <summary>
    /// A reload changed the pool: apply <paramref name="Config"/> in place (see <see cref="PoolActor"/>);
    /// answered with <see cref="Reconfigured"/> once the new snapshot is published.
    /// </summary>
    /// <param name="AttachSessions">Builds the pool's sticky-session API when <c>sticky</c> changed (local only, never sent remotely).</param>
    public sealed record Reconfigure(PoolConfig Config, Func<PoolHandle, Sessions.PoolSessions?>? AttachSessions);

    public sealed record Reconfigured(string Pool, long Version);

    /// <summary>A reload removed the pool and no listener routes to it any more: stop once nothing is in flight.</summary>
    public sealed record Retire
    {
        public static readonly Retire Instance = new();
    }

    internal sealed record Tick
    {
        public static readonly Tick Instance = new();
    }

    internal sealed record CheckDrains
    {
        public static readonly CheckDrains Instance = new();
    }

    internal sealed record EjectionDue(int Ordinal);

    internal sealed record WatchBackends
    {
        public static readonly WatchBackends Instance = new();
    }
}
