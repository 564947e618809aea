using System.Collections.Concurrent;
using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Sessions;
using Drover.Node.LoadBalancing;
using Drover.Node.Pools;

namespace Drover.Node.Sessions;

/// <summary>
/// A node's side of sticky sessions: the session shard region, the replicated store, the cookie
/// codec (from <c>drover.cluster.secret</c>), and one <see cref="PoolSessions"/> per sticky pool. Made
/// before the actor system starts, so pools can attach to it whatever the start order;
/// <see cref="Start"/> brings in the actors. Until then (and if the region never starts) the data
/// path falls back to consistent hashing, never to an error.
/// </summary>
public sealed class SessionService
{
    private IActorRef? _region;
    private IActorRef _node = ActorRefs.Nobody;
    private SessionStore? _store;
    private readonly ConcurrentDictionary<string, ShardPresence> _shards = new();
    private volatile string? _notReady = "the session region has not started yet";

    public SessionService(DroverConfig config, DroverRuntime runtime, SessionOptions? options = null)
    {
        Runtime = runtime;
        Options = options ?? SessionOptions.Default;
        Codec = config.Cluster.HasSecret ? new SessionCookieCodec(config.Cluster.Secret!) : null;
    }

    public SessionOptions Options { get; }

    /// <summary>Null without <c>drover.cluster.secret</c> (validation then allows no cookie pool).</summary>
    public SessionCookieCodec? Codec { get; }

    internal DroverRuntime Runtime { get; }

    /// <summary>The <c>session</c> shard region; null until started.</summary>
    public IActorRef? Region => Volatile.Read(ref _region);

    /// <summary>The node's <see cref="SessionNodeActor"/>: the sender of renewals, so owners can answer them.</summary>
    internal IActorRef NodeActor => Volatile.Read(ref _node);

    public SessionStore Store => _store ?? throw new InvalidOperationException("sessions are not started");

    internal void Start(ActorSystem system, IActorRef region)
    {
        _store = new SessionStore(system, Options);
        Volatile.Write(ref _node, system.ActorOf(SessionNodeActor.Props(this), "sessions"));
        Volatile.Write(ref _region, region);
        MarkNotReady("the session region has not registered with the shard coordinator yet");
        system.ActorOf(SessionReadinessActor.Props(this, region), "session-readiness");
    }

    /// <summary>
    /// Whether owners can answer this node's lookups: its session region registered with the shard
    /// coordinator and its replica of the store read by majority (<see cref="SessionReadinessActor"/>).
    /// <c>/readyz</c> waits for it when a pool is sticky.
    /// </summary>
    public bool IsReady => _notReady is null;

    /// <summary>What sessions still wait for (null once ready).</summary>
    public string? NotReadyReason => _notReady;

    internal void MarkNotReady(string reason)
    {
        if (_notReady is not null) _notReady = reason;
    }

    internal void MarkReady() => _notReady = null;

    /// <summary>
    /// A session entity starts in <paramref name="shardId"/>: true while the shard arrived on this node
    /// less than <see cref="SessionOptions.ShardSettleTime"/> ago (the entity must read its binding by
    /// majority). A shard "arrives" when its first entity starts after it had none here, which covers
    /// a rebalance, a hand-off, a crashed node's shards and this node's own start.
    /// </summary>
    internal bool EnterShard(string shardId)
    {
        while (true)
        {
            var presence = _shards.GetOrAdd(shardId, static _ => new ShardPresence(Environment.TickCount64));
            lock (presence)
            {
                if (presence.Live < 0) continue; // just retired by its last entity: take a fresh one
                presence.Live++;
                return Environment.TickCount64 - presence.Since < (long)Options.ShardSettleTime.TotalMilliseconds;
            }
        }
    }

    /// <summary>A session entity of <paramref name="shardId"/> stopped; the shard's last one retires its presence.</summary>
    internal void LeaveShard(string shardId)
    {
        if (!_shards.TryGetValue(shardId, out var presence)) return;
        lock (presence)
        {
            if (--presence.Live > 0) return;
            presence.Live = -1;
            _shards.TryRemove(new KeyValuePair<string, ShardPresence>(shardId, presence));
        }
    }

    private sealed class ShardPresence(long since)
    {
        public readonly long Since = since;
        public int Live;
    }

    /// <summary>The data path's session API for <paramref name="handle"/>'s pool; null when the pool is not sticky.</summary>
    public PoolSessions? Attach(PoolHandle handle) =>
        handle.Config.Sticky.Enabled ? new PoolSessions(handle, this) : null;

    public PoolSessions? For(string pool) => Runtime.Pools.TryGetValue(pool, out var handle) ? handle.Sessions : null;

    internal TimeSpan TtlOf(string pool) =>
        Runtime.Pools.TryGetValue(pool, out var handle) ? handle.Config.Sticky.Ttl : StickyConfig.DefaultTtl;

    /// <summary>Whether this node's config has the backend (a proposal naming anything else is ignored). Unknown pools accept anything: the owner may run a different config version.</summary>
    internal bool IsKnownBackend(string pool, string backend) =>
        !Runtime.Pools.TryGetValue(pool, out var handle) || handle.Snapshot.Find(backend) is not null;

    /// <summary>The owner's choice off a dead backend: consistent hash on the key over its node's candidates, never <paramref name="dead"/>.</summary>
    internal string? PickReplacement(string pool, ulong keyHash, string dead)
    {
        if (!Runtime.Pools.TryGetValue(pool, out var handle)) return null;
        var snapshot = handle.Snapshot;
        var except = snapshot.Find(dead);
        return (handle.Sessions?.HashPick(snapshot, keyHash, except) ?? PoolSessions.HashPick(snapshot, keyHash, except))?.Id;
    }

    internal static ConsistentHashBalancer HashBalancer(Core.Pools.PoolSnapshot snapshot) =>
        snapshot.Balancer as ConsistentHashBalancer ?? new ConsistentHashBalancer(snapshot.Backends, snapshot.Candidates, snapshot.BaseWeights);
}
