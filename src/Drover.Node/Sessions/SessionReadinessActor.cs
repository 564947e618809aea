using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.DistributedData;
using Akka.Event;

namespace Drover.Node.Sessions;

/// <summary>
/// Decides when this node's sticky sessions can answer (<see cref="SessionService.IsReady"/>, which
/// <c>/readyz</c> waits for when a pool is sticky). A node that has just joined would otherwise be
/// ready while its session region has not registered with the shard coordinator (owner lookups time
/// out into the fallback) and its replica of the store is empty (the fallback then hashes the key,
/// which disagrees with any session bound elsewhere since): it sent some sessions to the wrong backend
/// for a second or two after every rejoin. Once the member is Up, it asks the region every 200 ms for
/// the coordinator's regions until this node is among them (the region answers only once the
/// coordinator acknowledged it), then reads every store key by majority, which also repairs the local
/// replica, and marks the service ready one notification interval later, when subscribers have seen
/// the repaired data. Keys that cannot be read within <see cref="PrimeDeadline"/> are left to
/// gossip; readiness then does not wait longer.
/// </summary>
public sealed class SessionReadinessActor : ReceiveActor, IWithTimers
{
    public static readonly TimeSpan ProbeInterval = TimeSpan.FromMilliseconds(200);
    public static readonly TimeSpan PrimeDeadline = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(3);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SessionService _service;
    private readonly IActorRef _region;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly HashSet<string> _pending = [];
    private readonly Dictionary<string, LWWDictionaryKey<string, string>> _keys = [];

    public SessionReadinessActor(SessionService service, IActorRef region)
    {
        _service = service;
        _region = region;
        Receive<MemberIsUp>(_ =>
        {
            _service.MarkNotReady("the session region has not registered with the shard coordinator yet");
            Timers.StartPeriodicTimer("probe", Probe.Instance, ProbeInterval);
            Become(Registering);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        var self = Self;
        _cluster.RegisterOnMemberUp(() => self.Tell(MemberIsUp.Instance));
    }

    private void Registering()
    {
        Receive<Probe>(_ => _region.Tell(GetCurrentRegions.Instance));
        Receive<CurrentRegions>(regions =>
        {
            if (!regions.Regions.Contains(_cluster.SelfAddress)) return;
            Timers.Cancel("probe");
            StartPriming();
        });
    }

    private void StartPriming()
    {
        var store = _service.Store;
        foreach (var key in store.Keys)
        {
            _keys[key.Id] = key;
            _pending.Add(key.Id);
            store.Replicator.Tell(Dsl.Get(key, new ReadMajority(ReadTimeout)));
        }
        _service.MarkNotReady($"reading the session store ({_pending.Count} keys left)");
        Timers.StartSingleTimer("deadline", PrimeTimedOut.Instance, PrimeDeadline);
        Become(Priming);
    }

    private void Priming()
    {
        Receive<CurrentRegions>(_ => { }); // answers to probes sent before registration was seen
        Receive<GetSuccess>(success => Read(success.Key.Id));
        Receive<NotFound>(notFound => Read(notFound.Key.Id));
        Receive<GetFailure>(failure =>
        {
            // Not enough replicas answered in time: ask again until the deadline.
            if (_keys.TryGetValue(failure.Key.Id, out var key))
                _service.Store.Replicator.Tell(Dsl.Get(key, new ReadMajority(ReadTimeout)));
        });
        Receive<PrimeTimedOut>(_ =>
        {
            _log.Warning("sticky sessions: {0} of {1} store keys not read by majority within {2}; ready anyway, gossip fills them",
                _pending.Count, _keys.Count, PrimeDeadline);
            Settle();
        });
    }

    private void Read(string keyId)
    {
        if (!_pending.Remove(keyId)) return;
        if (_pending.Count > 0)
        {
            if (_pending.Count % 32 == 0) _service.MarkNotReady($"reading the session store ({_pending.Count} keys left)");
            return;
        }
        Timers.Cancel("deadline");
        Settle();
    }

    /// <summary>The repaired replica reaches the data path through the store's subscription, at the replicator's notification interval.</summary>
    private void Settle()
    {
        var interval = Context.System.Settings.Config.GetTimeSpan("akka.cluster.distributed-data.notify-subscribers-interval", TimeSpan.FromMilliseconds(500));
        Timers.StartSingleTimer("settle", Settled.Instance, interval + TimeSpan.FromMilliseconds(100));
        Become(() =>
        {
            Receive<Settled>(_ =>
            {
                _service.MarkReady();
                Context.Stop(Self);
            });
            ReceiveAny(_ => { }); // late replies to reads already counted or given up
        });
    }

    public static Props Props(SessionService service, IActorRef region) =>
        Akka.Actor.Props.Create(() => new SessionReadinessActor(service, region));

    private sealed record MemberIsUp
    {
        public static readonly MemberIsUp Instance = new();
    }

    private sealed record Probe
    {
        public static readonly Probe Instance = new();
    }

    private sealed record PrimeTimedOut
    {
        public static readonly PrimeTimedOut Instance = new();
    }

    private sealed record Settled
    {
        public static readonly Settled Instance = new();
    }
}
