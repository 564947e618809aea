using System.Diagnostics;
using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Pools;
using Drover.Core.Sessions;
using Drover.Node.Pools;

namespace Drover.Node.Sessions;

/// <summary>
/// One sticky pool's sessions as the data path sees them. A request's key is looked up in this
/// node's <see cref="SessionCache"/> (lock-free, no allocation): a hit whose backend still keeps
/// sessions in the current snapshot is the answer, and at most once per ttl/4 per key it tells the
/// owner (a renewal; never an ask). Only a miss asks the owner, within
/// <see cref="SessionOptions.AskTimeout"/>; when the owner does not answer in time the binding comes
/// from this node's replica of the store, else from consistent hashing on the key, never an error.
/// A cached backend that no longer keeps sessions (down, ejected, maint) makes the request ask the
/// owner to rebind.
/// </summary>
/// <remarks>
/// A new key proposes the consistent-hash pick of the key (or, for a cookie, the backend it names),
/// so every node proposes the same backend and the fallback agrees with the owner's answer whenever
/// the nodes agree on health. The pool's balance mode applies to requests without a key, and so to
/// the first request of a new cookie session.
/// </remarks>
public sealed class PoolSessions
{
    private readonly long _ttlMs;
    private readonly long _renewMs;
    private HashView? _hash;

    public PoolSessions(PoolHandle pool, SessionService service)
    {
        Pool = pool;
        Service = service;
        Config = pool.Config.Sticky;
        Cache = new SessionCache(service.Options.CacheCapacity);
        _ttlMs = (long)Config.Ttl.TotalMilliseconds;
        _renewMs = _ttlMs / 4;
    }

    public PoolHandle Pool { get; }
    public string Name => Pool.Name;
    public StickyConfig Config { get; }
    public SessionCache Cache { get; }
    public SessionService Service { get; }

    /// <summary>
    /// The backend <paramref name="key"/> is bound to, or null: balance normally (a learn-cookie
    /// value nobody bound, or a pool with no usable backend). Completes synchronously on a cache hit.
    /// </summary>
    /// <param name="hint">Cookie mode: the backend named by a verified cookie; proposed, and used while the owner is unreachable.</param>
    /// <param name="lookupOnly">Learn-cookie: find a binding, never make one.</param>
    public ValueTask<Backend?> ResolveAsync(ReadOnlySpan<char> key, PoolSnapshot snapshot, Backend? hint = null, bool lookupOnly = false)
    {
        if (Cache.TryGet(key, out var entry))
        {
            if (snapshot.KeepsSessions(entry.Backend))
            {
                Renew(entry, key);
                return new ValueTask<Backend?>(entry.Backend);
            }
            return RebindAsync(key.ToString(), entry.Backend, snapshot);
        }
        return AskOwnerAsync(key.ToString(), snapshot, hint, lookupOnly);
    }

    /// <summary>
    /// <paramref name="dead"/> cannot serve <paramref name="key"/> (it left the snapshot's keepers, or
    /// refused a connection): the owner moves the session once and every caller gets the new binding.
    /// </summary>
    public async ValueTask<Backend?> RebindAsync(string key, Backend dead, PoolSnapshot snapshot)
    {
        var entityId = SessionKeys.EntityId(Name, key);
        var hash = SessionKeys.KeyHash(key);
        var answer = await AskAsync(new SessionProtocol.Rebind(entityId, dead.Id, hash)).ConfigureAwait(false);
        var backend = answer?.Backend is { } id ? snapshot.Find(id) : null;
        if (backend is not null && backend != dead && snapshot.KeepsSessions(backend))
        {
            Cache.Set(key, backend, Config.Ttl);
            return backend;
        }
        // No answer, or one this node cannot use (its health view differs): a local choice, held briefly.
        return Provisional(key, HashPick(snapshot, hash, dead, backend));
    }

    /// <summary>Binds <paramref name="key"/> to <paramref name="backend"/> without waiting: a new cookie session (whose cookie names the backend anyway).</summary>
    public void Bind(string key, Backend backend)
    {
        Cache.Set(key, backend, Config.Ttl);
        Service.Region?.Tell(new SessionProtocol.Bind(SessionKeys.EntityId(Name, key), backend.Id), Service.NodeActor);
    }

    /// <summary>
    /// Binds and waits (up to the ask deadline) for the owner to have it: a learned cookie, whose next
    /// request may come through another node the moment the response reaches the client.
    /// </summary>
    public async Task BindAndWaitAsync(string key, Backend backend)
    {
        Cache.Set(key, backend, Config.Ttl);
        await AskAsync(new SessionProtocol.Bind(SessionKeys.EntityId(Name, key), backend.Id)).ConfigureAwait(false);
    }

    /// <summary>
    /// The pool published a new snapshot: a backend that stopped keeping sessions (down, ejected,
    /// maint) loses its cached bindings on this node. Their owners rebind them when another node
    /// finds the backend gone; this node asks the owner again instead of sending a session back to
    /// the backend when it returns (the drills saw nodes disagree for good after a restart).
    /// </summary>
    internal void OnPublished(PoolSnapshot previous, PoolSnapshot current)
    {
        foreach (var backend in previous.Backends)
            if (previous.KeepsSessions(backend) && current.Find(backend.Id) is { } now && !current.KeepsSessions(now))
                Cache.RemoveBoundTo(now);
    }

    /// <summary>The owner says the binding is another backend than this node's cache had.</summary>
    internal void OnBindingChanged(string key, string backendId)
    {
        if (Pool.Snapshot.Find(backendId) is { } backend) Cache.Set(key, backend, Config.Ttl);
    }

    /// <summary>
    /// A slot on the bound backend (it keeps its sessions even while draining, so it may not be a
    /// candidate), waiting in the pool's queue while it is at <c>max-connections</c>. NoBackend when
    /// it stopped keeping sessions meanwhile: the caller balances normally.
    /// </summary>
    public ValueTask<Acquired> AcquireAsync(PoolSnapshot snapshot, Backend backend, CancellationToken cancellationToken)
    {
        if (backend.TryStart(Pool.MaxConnections))
            return new ValueTask<Acquired>(new Acquired(backend, Array.IndexOf(snapshot.Candidates, backend), snapshot, AcquireFailure.None));
        return Pool.Queue is null
            ? new ValueTask<Acquired>(new Acquired(null, -1, snapshot, AcquireFailure.NoBackend))
            : WaitForSlotAsync(backend, cancellationToken);
    }

    private async ValueTask<Acquired> WaitForSlotAsync(Backend backend, CancellationToken cancellationToken)
    {
        var queue = Pool.Queue!;
        var snapshot = Pool.Snapshot;
        if (!queue.TryEnter()) return new Acquired(null, -1, snapshot, AcquireFailure.QueueFull);
        var timedOut = false;
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(Pool.QueueTimeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                snapshot = Pool.Snapshot;
                if (!snapshot.KeepsSessions(backend)) return new Acquired(null, -1, snapshot, AcquireFailure.NoBackend);
                var wakeUp = queue.Register();
                if (backend.TryStart(Pool.MaxConnections))
                {
                    Core.Pools.BackendWaitQueue.Abandon(wakeUp);
                    return new Acquired(backend, Array.IndexOf(snapshot.Candidates, backend), snapshot, AcquireFailure.None);
                }
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                try
                {
                    if (remaining <= TimeSpan.Zero) throw new TimeoutException();
                    await wakeUp.Task.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    Core.Pools.BackendWaitQueue.Abandon(wakeUp);
                    timedOut = true;
                    return new Acquired(null, -1, snapshot, AcquireFailure.QueueTimeout);
                }
                catch (OperationCanceledException)
                {
                    Core.Pools.BackendWaitQueue.Abandon(wakeUp);
                    throw;
                }
            }
        }
        finally
        {
            queue.Leave(timedOut);
        }
    }

    private void Renew(SessionCache.Entry entry, ReadOnlySpan<char> key)
    {
        if (!entry.TryClaimRenewal(Cache.Now, _renewMs, _ttlMs)) return;
        Service.Region?.Tell(new SessionProtocol.Touch(SessionKeys.EntityId(Name, key), entry.Backend.Id, Name, key.ToString()), Service.NodeActor);
    }

    private async ValueTask<Backend?> AskOwnerAsync(string key, PoolSnapshot snapshot, Backend? hint, bool lookupOnly)
    {
        var entityId = SessionKeys.EntityId(Name, key);
        var hash = SessionKeys.KeyHash(key);
        var proposal = lookupOnly ? null
            : hint is not null && snapshot.KeepsSessions(hint) ? hint
            : HashPick(snapshot, hash);
        var answer = await AskAsync(new SessionProtocol.Resolve(entityId, proposal?.Id, hash)).ConfigureAwait(false);
        if (answer is null) return Fallback(key, entityId, snapshot, proposal);

        if (answer.Backend is null || snapshot.Find(answer.Backend) is not { } backend)
            return proposal; // nothing bound (learn-cookie), or a backend this node's config lacks
        if (!snapshot.KeepsSessions(backend)) return await RebindAsync(key, backend, snapshot).ConfigureAwait(false);
        Cache.Set(key, backend, Config.Ttl);
        return backend;
    }

    /// <summary>The owner did not answer in time: this node's replica of the binding, else the proposal (consistent hash, or the cookie's backend).</summary>
    private Backend? Fallback(string key, string entityId, PoolSnapshot snapshot, Backend? proposal)
    {
        Backend? backend = null;
        if (Service.Region is not null && Service.Store.ReadLocal(entityId) is { } record
            && !record.IsExpired(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds())
            && snapshot.Find(record.Backend) is { } stored && snapshot.KeepsSessions(stored))
            backend = stored;
        return Provisional(key, backend ?? proposal);
    }

    private Backend? Provisional(string key, Backend? backend)
    {
        if (backend is not null) Cache.Set(key, backend, Service.Options.FallbackCacheTtl, provisional: true);
        return backend;
    }

    private async Task<SessionProtocol.Binding?> AskAsync(object message)
    {
        if (Service.Region is not { } region) return null;
        try
        {
            return await region.Ask<SessionProtocol.Binding>(message, Service.Options.AskTimeout).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Consistent hash on the key over the snapshot's candidates, skipping <paramref name="except"/>; the same answer on every node with the same view.</summary>
    public Backend? HashPick(PoolSnapshot snapshot, ulong hash, Backend? except = null, Backend? alsoExcept = null) =>
        HashPick(View(snapshot), hash, except, alsoExcept);

    /// <summary>
    /// Where a request of <paramref name="key"/> is retried after its bound backend failed during it
    /// (a reset, a 5xx) without a rebind: consistent hash on the key over the candidates this request
    /// has not tried (<paramref name="tried"/>), the choice the owner's rebind would make, so a retry
    /// lands on the same backend whichever node it came through.
    /// </summary>
    internal Backend? RetryPick(PoolSnapshot snapshot, string key, PickContext tried)
    {
        var view = View(snapshot);
        var index = view.Balancer.Pick(new PickContext(SessionKeys.KeyHash(key), tried.Excluded));
        return index < 0 ? null : view.Snapshot.Candidates[index];
    }

    private HashView View(PoolSnapshot snapshot)
    {
        var view = Volatile.Read(ref _hash);
        if (view is null || !ReferenceEquals(view.Snapshot, snapshot))
        {
            view = new HashView(snapshot, SessionService.HashBalancer(snapshot));
            Volatile.Write(ref _hash, view);
        }
        return view;
    }

    internal static Backend? HashPick(PoolSnapshot snapshot, ulong hash, Backend? except) =>
        HashPick(new HashView(snapshot, SessionService.HashBalancer(snapshot)), hash, except, null);

    private static Backend? HashPick(HashView view, ulong hash, Backend? except, Backend? alsoExcept)
    {
        var candidates = view.Snapshot.Candidates;
        var pick = new PickContext(hash);
        if (except is not null) pick = pick.Exclude(Array.IndexOf(candidates, except));
        if (alsoExcept is not null) pick = pick.Exclude(Array.IndexOf(candidates, alsoExcept));
        var index = view.Balancer.Pick(pick);
        return index < 0 ? null : candidates[index];
    }

    private sealed record HashView(PoolSnapshot Snapshot, ConsistentHashBalancer Balancer);
}
