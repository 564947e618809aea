using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Event;
using Drover.Core.Sessions;

namespace Drover.Node.Sessions;

/// <summary>
/// The one owner of a sticky session in the whole cluster (sharded entity type <c>session</c>, id
/// <c>pool:key</c>). It binds a backend on the first <see cref="SessionProtocol.Resolve"/> (the first
/// proposal wins), renews on use, rebinds once off a dead backend, and expires after the pool's
/// ttl. Every binding is written through to DistributedData (<see cref="SessionStore"/>, batched by
/// the node's <see cref="SessionStoreActor"/>) with a majority write, so an entity re-created on
/// another node (rebalance, graceful leave, crash) reads it back, by majority, else from the local
/// replica, before it answers anything.
/// </summary>
/// <remarks>
/// The replicated record holds the backend and a wall-clock "hold until" a quarter of a ttl beyond
/// the expiry it guards, so renewals need a write only once per ttl/4, not on every use. On expiry
/// the entity removes its record (majority), then passivates; a use that arrives meanwhile revives it.
/// </remarks>
public sealed class SessionActor : ReceiveActor, IWithTimers, IWithStash
{
    private const string ExpiryTimer = "expiry";
    private const string UnboundTimer = "unbound";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _entityId;
    private readonly string _pool;
    private readonly SessionService _service;
    private readonly string _shardId;
    private string? _backend;
    private long _expiresAt;
    private long _writtenAt = long.MinValue / 2;
    private long? _lastUse;
    private bool _revived;

    public SessionActor(string entityId, SessionService service)
    {
        _entityId = entityId;
        _pool = SessionKeys.PoolOf(entityId);
        _service = service;
        _shardId = SessionMessageExtractor.ShardOf(entityId, service.Options.Shards);
        Loading();
    }

    public ITimerScheduler Timers { get; set; } = null!;
    public IStash Stash { get; set; } = null!;

    private TimeSpan Ttl => _service.TtlOf(_pool);

    private static long Now => Environment.TickCount64;

    protected override void PreStart() =>
        _service.Store.Actor.Tell(new StoreProtocol.Load(_entityId, Majority: _service.EnterShard(_shardId)));

    protected override void PostStop() => _service.LeaveShard(_shardId);

    private void Loading()
    {
        Receive<StoreProtocol.Loaded>(loaded => Loaded(loaded.Record));
        ReceiveAny(_ => Stash.Stash());
    }

    private void Loaded(SessionRecord? record)
    {
        if (record is { } r && !r.IsExpired(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()))
            _backend = r.Backend; // _writtenAt stays far in the past: the first renewal rewrites it under this owner
        _expiresAt = Now + (long)Ttl.TotalMilliseconds;
        Become(Active);
        ScheduleExpiry();
        Stash.UnstashAll();
    }

    private void Active()
    {
        Receive<SessionProtocol.Resolve>(OnResolve);
        Receive<SessionProtocol.Touch>(OnTouch);
        Receive<SessionProtocol.Bind>(OnBind);
        Receive<SessionProtocol.Rebind>(OnRebind);
        Receive<SessionProtocol.GetBinding>(_ => Sender.Tell(new SessionProtocol.Binding(_entityId, _backend)));
        Receive<SessionProtocol.Describe>(_ => Sender.Tell(Info()));
        Receive<Expiry>(_ => OnExpiry());
        Receive<Unbound>(_ =>
        {
            if (_backend is null) Context.Parent.Tell(new Passivate(PoisonPill.Instance));
        });
    }

    /// <summary>Expiring: the record's removal is in flight. Uses still answer (and revive the session).</summary>
    private void Expiring()
    {
        Receive<SessionProtocol.Resolve>(m => Revive(() => OnResolve(m)));
        Receive<SessionProtocol.Touch>(m => Revive(() => OnTouch(m)));
        Receive<SessionProtocol.Bind>(m => Revive(() => OnBind(m)));
        Receive<SessionProtocol.Rebind>(m => Revive(() => OnRebind(m)));
        Receive<SessionProtocol.GetBinding>(_ => Sender.Tell(new SessionProtocol.Binding(_entityId, _backend)));
        Receive<SessionProtocol.Describe>(_ => Sender.Tell(Info()));
        Receive<StoreProtocol.Deleted>(_ => Removed());
    }

    private void Revive(Action handle)
    {
        _revived = true;
        handle();
    }

    private void Removed()
    {
        if (_revived && _backend is not null)
        {
            Write();
            Become(Active);
            ScheduleExpiry();
            return;
        }
        Become(() => ReceiveAny(m =>
        {
            if (m is SessionProtocol.GetBinding or SessionProtocol.Resolve) Sender.Tell(new SessionProtocol.Binding(_entityId, _backend));
            else if (m is SessionProtocol.Describe) Sender.Tell(Info());
        }));
        Context.Parent.Tell(new Passivate(PoisonPill.Instance));
    }

    private void OnResolve(SessionProtocol.Resolve resolve)
    {
        if (_backend is null && resolve.Proposal is { } proposal && IsKnown(proposal)) SetBinding(proposal);
        Renew();
        Sender.Tell(new SessionProtocol.Binding(_entityId, _backend));
    }

    private void OnTouch(SessionProtocol.Touch touch)
    {
        // A node still using a binding this owner no longer has (re-created after its record was lost): adopt it.
        if (_backend is null && IsKnown(touch.Backend)) SetBinding(touch.Backend);
        Renew();
        if (_backend is not null && _backend != touch.Backend)
            Sender.Tell(new SessionProtocol.BindingChanged(touch.Pool, touch.Key, _backend));
    }

    private void OnBind(SessionProtocol.Bind bind)
    {
        if (IsKnown(bind.Backend)) SetBinding(bind.Backend);
        Renew();
        Sender.Tell(new SessionProtocol.Binding(_entityId, _backend));
    }

    private void OnRebind(SessionProtocol.Rebind rebind)
    {
        if (_backend is null || _backend == rebind.Dead)
        {
            var replacement = _service.PickReplacement(_pool, rebind.KeyHash, rebind.Dead);
            if (replacement is not null)
            {
                if (_backend is not null) _log.Info("session {0}: rebound from {1} to {2}", _entityId, _backend, replacement);
                SetBinding(replacement);
            }
        }
        Renew();
        Sender.Tell(new SessionProtocol.Binding(_entityId, _backend));
    }

    private void OnExpiry()
    {
        var left = _expiresAt - Now;
        if (left > 0)
        {
            Timers.StartSingleTimer(ExpiryTimer, Expiry.Instance, TimeSpan.FromMilliseconds(left));
            return;
        }
        if (_backend is null)
        {
            Context.Parent.Tell(new Passivate(PoisonPill.Instance));
            return;
        }
        _revived = false;
        Become(Expiring);
        _service.Store.Actor.Tell(new StoreProtocol.Delete(_entityId));
    }

    private void SetBinding(string backend)
    {
        if (backend == _backend) return;
        _backend = backend;
        Timers.Cancel(UnboundTimer);
        Write();
    }

    private SessionProtocol.SessionInfo Info()
    {
        var now = Now;
        return new SessionProtocol.SessionInfo(_entityId, _backend, Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString(),
            _lastUse is { } used ? TimeSpan.FromMilliseconds(now - used) : null, TimeSpan.FromMilliseconds(Math.Max(0, _expiresAt - now)));
    }

    private void Renew()
    {
        var now = Now;
        _lastUse = now;
        var ttl = (long)Ttl.TotalMilliseconds;
        _expiresAt = now + ttl;
        if (_backend is not null && now - _writtenAt > ttl / 4) Write();
    }

    private void Write()
    {
        var now = Now;
        _writtenAt = now;
        var ttl = Ttl;
        var hold = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + (long)(ttl.TotalMilliseconds * 1.25);
        _service.Store.Actor.Tell(new StoreProtocol.Save(_entityId, new SessionRecord(_backend!, hold)));
    }

    private void ScheduleExpiry()
    {
        Timers.StartSingleTimer(ExpiryTimer, Expiry.Instance, TimeSpan.FromMilliseconds(Math.Max(1, _expiresAt - Now)));
        if (_backend is null) Timers.StartSingleTimer(UnboundTimer, Unbound.Instance, _service.Options.UnboundIdle);
    }

    private bool IsKnown(string backend) => _service.IsKnownBackend(_pool, backend);

    public static Props Props(string entityId, SessionService service) =>
        Akka.Actor.Props.Create(() => new SessionActor(entityId, service));

    private sealed record Expiry
    {
        public static readonly Expiry Instance = new();
    }

    private sealed record Unbound
    {
        public static readonly Unbound Instance = new();
    }
}
