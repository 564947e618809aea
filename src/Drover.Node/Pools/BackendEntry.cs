using Akka.Actor;
using Drover.Core.Health;
using Drover.Core.Pools;
using Drover.Node.Health.Cluster;

namespace Drover.Node.Pools;

/// <summary>What a <see cref="PoolActor"/> keeps about one backend beside the shared <see cref="Core.Pools.Backend"/> counters.</summary>
internal sealed class BackendEntry(Backend backend, BackendHealth health, AdminState admin, int windowSeconds)
{
    /// <summary>Long before any clock reading, without the overflow that <see cref="TimeSpan.MinValue"/> arithmetic brings.</summary>
    private static readonly TimeSpan Never = TimeSpan.FromDays(-3650);

    private readonly long[] _windowRequests = new long[Math.Max(1, windowSeconds)];
    private readonly long[] _windowFailures = new long[Math.Max(1, windowSeconds)];
    private int _windowCursor;
    private long _sampledRequests;
    private long _sampledFailures;

    public Backend Backend { get; } = backend;
    public BackendHealth Health { get; } = health;
    public AdminState Admin { get; set; } = admin;

    /// <summary>The weight set at run time with <c>lb weight</c> (cluster-wide); null: the configured one.</summary>
    public int? SetWeight { get; set; }

    /// <summary>The weight health, admin state and slow start work from.</summary>
    public int BaseWeight => SetWeight ?? Backend.ConfiguredWeight;

    /// <summary>When the backend last became ready by admin state; slow start ramps from the later of this and the health's.</summary>
    public TimeSpan ReadySince { get; set; } = Never;

    /// <summary>Draining (or in maint) and the last in-flight work has ended; reported once.</summary>
    public bool Drained { get; set; }

    public IActorRef? Checker { get; set; }

    public DateTime LastFailureLog { get; set; }

    /// <summary>The generation of the data path's failure streak that <see cref="Health"/>'s count follows (see <see cref="Core.Pools.Backend.FailureGeneration"/>).</summary>
    public int StreakGeneration { get; set; }

    /// <summary>How often each kind of state change happened (for the state, and metrics later).</summary>
    public int Downs { get; set; }
    public int Ejections { get; set; }
    public int Recoveries { get; set; }
    public int DrainsCompleted { get; set; }

    /// <summary>The cluster's verdict (from the backend-health entity); Up when the node runs its own checks.</summary>
    public BackendHealthProtocol.Verdict ClusterVerdict { get; set; } = BackendHealthProtocol.Verdict.Up;

    /// <summary>When the cluster verdict last became Up.</summary>
    public TimeSpan ClusterUpSince { get; set; } = Never;

    /// <summary>Usable by health: this node's own verdict and the cluster's both say up.</summary>
    public bool IsHealthy => Health.IsUsable && ClusterVerdict.Status == BackendHealthStatus.Up;

    /// <summary>
    /// When slow start ramps from: the latest return to service (health recovered, admin ready again,
    /// cluster verdict up again). A backend that has been in service since the pool started does not
    /// ramp: the pool's start is nothing to protect it from.
    /// </summary>
    public TimeSpan RampStart => Max(Max(Health.LastTransition is null ? Never : Health.UsableSince, ReadySince), ClusterUpSince);

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    /// <summary>Takes one second's sample of the live counters; returns the window's totals and the requests since the last sample.</summary>
    public (long Requests, long Failures, long NewRequests) Sample()
    {
        var requests = Backend.Requests;
        var failures = Backend.Failures;
        var newRequests = requests - _sampledRequests;
        _windowCursor = (_windowCursor + 1) % _windowRequests.Length;
        _windowRequests[_windowCursor] = newRequests;
        _windowFailures[_windowCursor] = failures - _sampledFailures;
        _sampledRequests = requests;
        _sampledFailures = failures;
        return (_windowRequests.Sum(), _windowFailures.Sum(), newRequests);
    }
}
