using System.Diagnostics;
using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;
using Yarp.ReverseProxy.Forwarder;

namespace Drover.Node.Pools;

/// <summary>
/// Where the data path finds a pool: the current <see cref="PoolSnapshot"/> (swapped in by the pool
/// actor with one volatile write, read without locks), the pool's HTTP client, its retry budget and
/// wait queue, and the actor to tell about what the data path saw. Routes hold a direct reference,
/// so a request does no lookup by name.
/// </summary>
public sealed class PoolHandle : IDisposable
{
    private PoolSnapshot _snapshot;
    private long _budgetFed;
    // Settings a reload changes in place: each is one reference or word, written by the pool's
    // actor and read by the data path per request (a request may see some old and some new values
    // while a reload lands; each value on its own is consistent).
    private PoolConfig _config;
    private HttpMessageInvoker _http;
    private BackendConnectionPool[] _connections;
    private ForwarderRequestConfig _requestConfig;
    private RetryConfig _retries;
    private readonly RetryBudget _retryBudget;
    private int _maxConnections;
    private readonly BackendWaitQueue _queue;
    private long _queueTimeoutTicks;
    private int _ejectStreak;
    private Sessions.PoolSessions? _sessions;
    // Invokers replaced by a reload (new connect timeout): requests in flight may still use them, so they live until the pool ends.
    private readonly List<HttpMessageInvoker> _retiredHttp = new();

    public PoolHandle(PoolConfig config, PoolSnapshot initial)
    {
        Name = config.Name;
        _config = config;
        _snapshot = initial;
        _http = BackendHttpClientFactory.Create(config);
        // Ordinals are dense at start (config positions); a reload appends fresh ones and never reuses one.
        _connections = new BackendConnectionPool[initial.Backends.Length == 0 ? 0 : initial.Backends.Max(b => b.Ordinal) + 1];
        foreach (var backend in initial.Backends) _connections[backend.Ordinal] ??= new BackendConnectionPool(backend, config.Timeouts.Connect);
        _requestConfig = RequestConfigFor(config);
        _retries = config.Retries;
        _retryBudget = new RetryBudget(config.Retries.Budget, static () => Environment.TickCount64);
        _queue = new BackendWaitQueue(config.Queue.Size);
        ApplyLimits(config, initial.Backends);
    }

    private static ForwarderRequestConfig RequestConfigFor(PoolConfig config) => new()
    {
        ActivityTimeout = config.Timeouts.Response,
        Version = System.Net.HttpVersion.Version11,
        VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
    };

    private void ApplyLimits(PoolConfig config, IEnumerable<Backend> backends)
    {
        var passive = config.Health.Passive;
        Volatile.Write(ref _ejectStreak, passive.ConsecutiveRuleEnabled && passive.MaxEjected > 0 ? passive.ConsecutiveFailures : int.MaxValue);
        _queue.Size = config.Queue.Size;
        Volatile.Write(ref _queueTimeoutTicks, config.Queue.Timeout.Ticks);
        Volatile.Write(ref _maxConnections, config.MaxConnections);
        // Without a limit nobody waits: the data path's end of a request then skips the queue entirely.
        foreach (var backend in backends) backend.WaitQueue = config.MaxConnections > 0 ? _queue : null;
    }

    /// <summary>
    /// A reload changed the pool (called by its actor before it publishes the snapshot with the new
    /// backends): new settings apply to requests that start from now on; backends in
    /// <paramref name="added"/> get their connection pools. Requests in flight finish with what they
    /// started with.
    /// </summary>
    internal void Reconfigure(PoolConfig config, IReadOnlyList<Backend> added, IEnumerable<Backend> all, Func<PoolHandle, Sessions.PoolSessions?>? attachSessions)
    {
        var old = Config;
        if (added.Count > 0)
        {
            var connections = Connections;
            var grown = new BackendConnectionPool[Math.Max(connections.Length, added.Max(b => b.Ordinal) + 1)];
            Array.Copy(connections, grown, connections.Length);
            foreach (var backend in added) grown[backend.Ordinal] = new BackendConnectionPool(backend, config.Timeouts.Connect);
            Volatile.Write(ref _connections, grown);
        }
        if (old.Timeouts.Connect != config.Timeouts.Connect)
        {
            foreach (var pool in Connections) pool.ConnectTimeout = config.Timeouts.Connect;
            lock (_retiredHttp) _retiredHttp.Add(Http);
            Volatile.Write(ref _http, BackendHttpClientFactory.Create(config));
        }
        if (old.Timeouts.Response != config.Timeouts.Response) Volatile.Write(ref _requestConfig, RequestConfigFor(config));
        if (old.Retries != config.Retries)
        {
            _retryBudget.Budget = config.Retries.Budget;
            Volatile.Write(ref _retries, config.Retries);
        }
        ApplyLimits(config, all);
        Volatile.Write(ref _config, config);
        if (old.Sticky != config.Sticky && attachSessions is not null) Sessions = attachSessions(this);
    }

    public string Name { get; }

    public PoolConfig Config => Volatile.Read(ref _config);

    public PoolSnapshot Snapshot => Volatile.Read(ref _snapshot);

    public HttpMessageInvoker Http => Volatile.Read(ref _http);

    /// <summary>Keep-alive connections for the HTTP/1.1 fast path, indexed by <see cref="Backend.Ordinal"/> (which a reload never reuses).</summary>
    public BackendConnectionPool[] Connections => Volatile.Read(ref _connections);

    public ForwarderRequestConfig RequestConfig => Volatile.Read(ref _requestConfig);

    public RetryConfig Retries => Volatile.Read(ref _retries);

    /// <summary>
    /// Fed from the backends' request counters (see <see cref="FeedRetryBudget"/>) rather than on
    /// every request, so the data path never touches its shared words unless it wants a retry.
    /// </summary>
    public RetryBudget RetryBudget => _retryBudget;

    /// <summary>Per-backend limit on requests in flight plus open connections; 0 = none.</summary>
    public int MaxConnections => Volatile.Read(ref _maxConnections);

    /// <summary>Where requests wait for a backend below <see cref="MaxConnections"/>; null without a limit.</summary>
    public BackendWaitQueue? Queue => MaxConnections > 0 ? _queue : null;

    public TimeSpan QueueTimeout => TimeSpan.FromTicks(Volatile.Read(ref _queueTimeoutTicks));

    /// <summary>The failure streak at which the data path stops picking a backend pending the actor's verdict; <see cref="int.MaxValue"/> when passive ejection is off.</summary>
    public int EjectStreak => Volatile.Read(ref _ejectStreak);

    /// <summary>Sticky sessions of this pool; null when <c>sticky</c> is off.</summary>
    public Sessions.PoolSessions? Sessions
    {
        get => Volatile.Read(ref _sessions);
        internal set => Volatile.Write(ref _sessions, value);
    }

    /// <summary>The pool actor; <see cref="ActorRefs.Nobody"/> until it starts.</summary>
    public IActorRef Actor { get; internal set; } = ActorRefs.Nobody;

    internal void Publish(PoolSnapshot snapshot)
    {
        var previous = Volatile.Read(ref _snapshot);
        Volatile.Write(ref _snapshot, snapshot);
        Sessions?.OnPublished(previous, snapshot);
    }

    /// <summary>
    /// Picks a candidate (not excluded by <paramref name="pick"/>) that has a free slot and counts the
    /// start on it; the caller ends it with <see cref="Backend.OnEnd"/>. Null when there is none:
    /// <paramref name="full"/> says whether candidates existed but were all at <see cref="MaxConnections"/>.
    /// </summary>
    /// <remarks>
    /// A backend whose failure streak has reached <c>consecutive-failures</c> is passed over while the
    /// pool actor decides on its ejection (microseconds later), so requests already on their way do
    /// not keep landing on it. If nothing else is left it is used after all: the actor's verdict
    /// (max-ejected, the last usable backend) is the authority, and it clears the streak when it
    /// decides not to eject.
    /// </remarks>
    public Backend? TryAcquire(PoolSnapshot snapshot, in PickContext pick, out int index, out bool full)
    {
        var backend = TryAcquire(snapshot, pick, EjectStreak, out index, out full, out var passedOver);
        return backend is null && passedOver ? TryAcquire(snapshot, pick, int.MaxValue, out index, out full, out _) : backend;
    }

    private Backend? TryAcquire(PoolSnapshot snapshot, in PickContext pick, int ejectStreak, out int index, out bool full, out bool passedOver)
    {
        full = false;
        passedOver = false;
        var context = pick;
        // Bounded: a pool of more than 64 candidates cannot exclude them all by the mask.
        for (var tries = 0; tries < snapshot.Candidates.Length; tries++)
        {
            index = snapshot.Balancer.Pick(context);
            if (index < 0) return null;
            var backend = snapshot.Candidates[index];
            context = context.Exclude(index);
            if (backend.FailureStreak >= ejectStreak)
            {
                passedOver = true;
                continue;
            }
            if (backend.TryStart(MaxConnections)) return backend;
            full = true;
        }
        index = -1;
        return null;
    }

    /// <summary>
    /// <see cref="TryAcquire"/>, and when every candidate is full, a place in the queue until a slot
    /// frees up or <see cref="QueueTimeout"/> passes. Completes synchronously (no allocation) unless it waits.
    /// </summary>
    public ValueTask<Acquired> AcquireAsync(PoolSnapshot snapshot, PickContext pick, CancellationToken cancellationToken)
    {
        var backend = TryAcquire(snapshot, pick, out var index, out var full);
        if (backend is not null) return new ValueTask<Acquired>(new Acquired(backend, index, snapshot, AcquireFailure.None));
        if (!full || Queue is null) return new ValueTask<Acquired>(new Acquired(null, -1, snapshot, AcquireFailure.NoBackend));
        return WaitForSlotAsync(snapshot, pick, cancellationToken);
    }

    private async ValueTask<Acquired> WaitForSlotAsync(PoolSnapshot snapshot, PickContext pick, CancellationToken cancellationToken)
    {
        var queue = Queue!;
        if (!queue.TryEnter()) return new Acquired(null, -1, snapshot, AcquireFailure.QueueFull);
        var timedOut = false;
        try
        {
            var deadline = Stopwatch.GetTimestamp() + (long)(QueueTimeout.TotalSeconds * Stopwatch.Frequency);
            while (true)
            {
                // A first attempt follows the pool as it changes while waiting; a retry keeps the
                // snapshot its exclusions refer to.
                if (pick.Excluded == 0) snapshot = Snapshot;
                var wakeUp = queue.Register();
                var backend = TryAcquire(snapshot, pick, out var index, out var full);
                if (backend is not null || !full)
                {
                    BackendWaitQueue.Abandon(wakeUp);
                    return new Acquired(backend, index, snapshot, backend is null ? AcquireFailure.NoBackend : AcquireFailure.None);
                }
                var remaining = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline);
                try
                {
                    if (remaining <= TimeSpan.Zero) throw new TimeoutException();
                    await wakeUp.Task.WaitAsync(remaining, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    BackendWaitQueue.Abandon(wakeUp);
                    timedOut = true;
                    return new Acquired(null, -1, snapshot, AcquireFailure.QueueTimeout);
                }
                catch (OperationCanceledException)
                {
                    BackendWaitQueue.Abandon(wakeUp);
                    throw;
                }
            }
        }
        finally
        {
            queue.Leave(timedOut);
        }
    }

    /// <summary>Counts a backend fault and tells the pool actor (the one allocation is on the failure path only).</summary>
    public void ReportFailure(Backend backend, string detail)
    {
        var streak = backend.OnFailure(out var generation);
        Actor.Tell(new PoolProtocol.BackendFailed(backend.Ordinal, streak, generation, detail));
    }

    /// <summary>Whether a failed attempt of kind <paramref name="kind"/> may be retried now (configured and within the budget).</summary>
    public bool MayRetry(RetryOn kind)
    {
        if ((Retries.On & kind) == 0 || Retries.Attempts <= 0) return false;
        FeedRetryBudget();
        return RetryBudget.TryRetry();
    }

    /// <summary>
    /// Counts into the retry budget the requests started since the last feed (the sum of the backends'
    /// counters, which the data path keeps anyway). Called when a retry is wanted, so the allowance is
    /// current, and by the pool actor each second, so the window keeps moving. A racing caller that
    /// loses the exchange leaves the delta to the winner: nothing is counted twice.
    /// </summary>
    public void FeedRetryBudget()
    {
        long total = 0;
        foreach (var backend in Snapshot.Backends) total += backend.Requests;
        var fed = Volatile.Read(ref _budgetFed);
        if (total > fed && Interlocked.CompareExchange(ref _budgetFed, total, fed) == fed)
            RetryBudget.OnRequests(total - fed);
    }

    public void Dispose()
    {
        Http.Dispose();
        lock (_retiredHttp)
        {
            foreach (var http in _retiredHttp) http.Dispose();
            _retiredHttp.Clear();
        }
        foreach (var pool in Connections) pool.Clear();
    }
}

public enum AcquireFailure
{
    None,
    /// <summary>No candidate at all (none usable, or all tried): 503.</summary>
    NoBackend,
    /// <summary>Every candidate full and the queue full: 503 at once.</summary>
    QueueFull,
    /// <summary>Every candidate stayed full for the queue timeout: 503.</summary>
    QueueTimeout,
}

/// <summary>The result of <see cref="PoolHandle.AcquireAsync"/>: a backend whose start is counted, or why there is none.</summary>
public readonly record struct Acquired(Backend? Backend, int Index, PoolSnapshot Snapshot, AcquireFailure Failure);
