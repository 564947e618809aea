using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using Drover.Core.Configuration;
using Drover.Core.Pools;
using Drover.Node.Listeners;
using Drover.Node.Listeners.Http.FastPath;
using Drover.Node.LoadBalancing;
using Drover.Node.Pools;
using Prometheus;

namespace Drover.Node.Admin.Metrics;

/// <summary>
/// The node's Prometheus metrics (prometheus-net, in a registry of this node's own, so several nodes
/// in one process never mix). Nothing here runs on the data path: at each scrape a callback reads the
/// counters the data path keeps with <see cref="Interlocked"/> (<see cref="Backend"/>,
/// <see cref="ListenerCounters"/>, <see cref="Http1FastPath"/>, the pools' queues and retry budgets),
/// asks each pool actor for health and admin states, reads the cluster state, and brings the
/// prometheus-net metrics up to date. Counters advance by the growth since the last scrape (so a
/// counter object that is replaced starts a fresh cursor instead of being lost), and each latency
/// bucket's new samples are replayed as their mean, which keeps the histogram's buckets, count and
/// sum exact. Every metric name and label is listed in the README ("Admin endpoint").
/// </summary>
public sealed class DroverMetrics
{
    private static readonly TimeSpan PoolAskTimeout = TimeSpan.FromSeconds(2);
    private static readonly string[] HealthStates = ["up", "down", "ejected"];
    private static readonly string[] AdminStates = ["ready", "drain", "maint"];
    private static readonly MemberStatus[] MemberStatuses =
        [MemberStatus.Joining, MemberStatus.WeaklyUp, MemberStatus.Up, MemberStatus.Leaving, MemberStatus.Exiting, MemberStatus.Down, MemberStatus.Removed];

    private readonly DroverRuntime _runtime;
    // The config in force (a reload replaces it).
    private DroverConfig _config => _runtime.Config;
    private readonly ActorSystem _system;
    private readonly Func<Readiness.Result> _readiness;
    private readonly SemaphoreSlim _gate = new(1, 1); // concurrent scrapes take turns: the cursors are shared
    private readonly Dictionary<object, long[]> _cursors = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<object> _seen = new(ReferenceEqualityComparer.Instance);
    // The label sets exported at the last scrape: a pool, backend or listener that a reload removed loses its series.
    private HashSet<(string Pool, string Backend)> _backendSeries = new();
    private HashSet<string> _poolSeries = new(StringComparer.Ordinal);
    private HashSet<string> _listenerSeries = new(StringComparer.Ordinal);

    private readonly Counter _listenerRequests, _listenerConnections, _listenerBytesIn, _listenerBytesOut, _fastPathRequests, _fastPathHandovers, _fastPathSpliced;
    private readonly Gauge _listenerActive, _listenerUp;
    private readonly Counter _backendRequests, _backendResponses, _backendConnections, _backendFailures, _backendRetries, _backendBytesIn, _backendBytesOut, _backendHealthChanges;
    private readonly Gauge _backendActive, _backendHealth, _backendAdmin, _backendWeight, _backendConfiguredWeight;
    private readonly Histogram _backendLatency;
    private readonly Gauge _poolQueueWaiting, _poolPanic, _poolSessions, _poolServing, _backendSessions;
    private readonly Counter _poolQueued, _poolQueueTimeouts, _poolQueueRejected, _poolRetriesDenied;
    private readonly Gauge _clusterMembers, _clusterUnreachable, _clusterLeader, _ready;
    private readonly Gauge _ioLoopSockets;
    private readonly Counter _ioLoopSleeps;

    public DroverMetrics(DroverRuntime runtime, DroverConfig config, ActorSystem system, Func<Readiness.Result> readiness)
    {
        _runtime = runtime;
        _system = system;
        _readiness = readiness;
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);

        _listenerRequests = Counter(f, "drover_listener_requests_total", "HTTP responses sent to clients (by a backend or by Drover itself), by status class.", "listener", "code");
        _listenerConnections = Counter(f, "drover_listener_connections_total", "Client connections accepted.", "listener");
        _listenerActive = f.CreateGauge("drover_listener_active_connections", "Client connections open now.", "listener");
        _listenerBytesIn = Counter(f, "drover_listener_bytes_in_total", "Bytes received from clients and forwarded: TCP all, HTTP request bodies.", "listener");
        _listenerBytesOut = Counter(f, "drover_listener_bytes_out_total", "Bytes from backends sent to clients: TCP all, HTTP response bodies.", "listener");
        _listenerUp = f.CreateGauge("drover_listener_up", "1 when the listener is bound.", "listener");
        _fastPathRequests = Counter(f, "drover_listener_fast_path_requests_total", "HTTP requests proxied by the HTTP/1.1 fast path.", "listener");
        _fastPathHandovers = Counter(f, "drover_listener_fast_path_handovers_total", "Connections the fast path handed to the full HTTP pipeline.", "listener");
        _fastPathSpliced = Counter(f, "drover_listener_spliced_bytes_total", "Response body bytes the fast path moved from backends to clients by splice(2) instead of copying (drover.io.splice).", "listener");

        _backendRequests = Counter(f, "drover_backend_requests_total", "Requests (HTTP) and connection attempts (TCP) started on the backend, retries included.", "pool", "backend");
        _backendResponses = Counter(f, "drover_backend_responses_total", "HTTP responses from the backend, by status class (retried 5xx included).", "pool", "backend", "code");
        _backendConnections = Counter(f, "drover_backend_connections_total", "TCP connections proxied to the backend.", "pool", "backend");
        _backendFailures = Counter(f, "drover_backend_failures_total", "Backend faults: connect failures, resets, timeouts, 5xx.", "pool", "backend");
        _backendRetries = Counter(f, "drover_backend_retries_total", "Attempts sent to the backend as a retry of an attempt that failed elsewhere.", "pool", "backend");
        _backendBytesIn = Counter(f, "drover_backend_bytes_in_total", "Bytes from clients to the backend: TCP all, HTTP request bodies.", "pool", "backend");
        _backendBytesOut = Counter(f, "drover_backend_bytes_out_total", "Bytes from the backend to clients: TCP all, HTTP response bodies.", "pool", "backend");
        _backendHealthChanges = Counter(f, "drover_backend_health_changes_total", "Health changes seen by this node: down (active checks), ejection (passive), recovery (back up).", "pool", "backend", "change");
        _backendActive = f.CreateGauge("drover_backend_active", "Requests in flight plus TCP connections open on the backend.", "pool", "backend");
        _backendHealth = f.CreateGauge("drover_backend_health", "1 for the backend's health state (up, down, ejected), 0 for the others.", "pool", "backend", "state");
        _backendAdmin = f.CreateGauge("drover_backend_admin_state", "1 for the backend's admin state (ready, drain, maint), 0 for the others.", "pool", "backend", "state");
        _backendWeight = f.CreateGauge("drover_backend_weight", "The weight new traffic is balanced with now (0 when the backend takes none).", "pool", "backend");
        _backendConfiguredWeight = f.CreateGauge("drover_backend_configured_weight", "The backend's weight in the config.", "pool", "backend");
        _backendLatency = f.CreateHistogram("drover_backend_response_seconds",
            "Backend latency as the balancer samples it: to the response head on the HTTP/1.1 fast path, to the end of the response on the full pipeline.",
            new HistogramConfiguration { LabelNames = ["pool", "backend"], Buckets = LatencyHistogram.BoundsSeconds.ToArray(), ExemplarBehavior = NoExemplars });

        _poolQueueWaiting = f.CreateGauge("drover_pool_queue_waiting", "Requests waiting in the pool's queue for a backend below max-connections.", "pool");
        _poolQueued = Counter(f, "drover_pool_queued_total", "Requests that waited in the queue.", "pool");
        _poolQueueTimeouts = Counter(f, "drover_pool_queue_timeouts_total", "Queued requests that got no slot within queue.timeout.", "pool");
        _poolQueueRejected = Counter(f, "drover_pool_queue_rejected_total", "Requests turned away because the queue was full.", "pool");
        _poolRetriesDenied = Counter(f, "drover_pool_retries_denied_total", "Retries refused by the pool's retry budget.", "pool");
        _poolPanic = f.CreateGauge("drover_pool_panic", "1 while the pool is in panic mode (all-unhealthy = use-all with no healthy backend).", "pool");
        _poolServing = f.CreateGauge("drover_pool_serving_backends", "Backends taking new traffic now.", "pool");
        _poolSessions = f.CreateGauge("drover_pool_sessions", "Sticky-session bindings of the pool in this node's cache (live ones).", "pool");
        _backendSessions = f.CreateGauge("drover_backend_sessions", "Sticky-session bindings to the backend in this node's cache (live ones).", "pool", "backend");

        _clusterMembers = f.CreateGauge("drover_cluster_members", "Cluster members by status, as this node sees them.", "status");
        _clusterUnreachable = f.CreateGauge("drover_cluster_unreachable_members", "Members this node's failure detector marks unreachable.");
        _clusterLeader = f.CreateGauge("drover_cluster_leader", "1 when this node is the cluster leader.");
        _ready = f.CreateGauge("drover_ready", "1 when /readyz answers 200: listeners bound, member up, not shutting down.");
        _ioLoopSockets = f.CreateGauge("drover_io_loop_sockets",
            "Sockets registered on each of the epoll engine's loops: listening sockets, HTTP client connections, the fast path's backend connections and both legs of TCP connections.", "loop");
        _ioLoopSleeps = Counter(f, "drover_io_loop_sleeps_total",
            "Blocking waits of each epoll loop for events: a sleep unless an event was already pending (drover.io.busy-poll keeps a busy loop from sleeping between events).", "loop");

        DotNetStats.Register(Registry); // process_* and dotnet_* (CPU, memory, GC, threads)
        Registry.AddBeforeCollectCallback(CollectAsync);
    }

    public CollectorRegistry Registry { get; }

    private static readonly ExemplarBehavior NoExemplars = ExemplarBehavior.NoExemplars();

    private static Counter Counter(IMetricFactory f, string name, string help, params string[] labels) =>
        f.CreateCounter(name, help, new CounterConfiguration { LabelNames = labels, ExemplarBehavior = NoExemplars });

    private async Task CollectAsync(CancellationToken cancellationToken)
    {
        var pools = _runtime.Pools.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        var states = await Task.WhenAll(pools.Select(AskStateAsync)).ConfigureAwait(false);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            CollectListeners();
            for (var i = 0; i < pools.Length; i++) CollectPool(pools[i], states[i]);
            CollectCluster();
            CollectEventLoops();
            ForgetUnseen();
            RemoveGone(pools);
        }
        finally
        {
            _gate.Release();
        }
    }

    private static async Task<PoolProtocol.PoolState?> AskStateAsync(PoolHandle pool)
    {
        try
        {
            return await pool.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, PoolAskTimeout).ConfigureAwait(false);
        }
        catch (Exception)
        {
            return null; // stopping or not answering: the gauges it feeds keep their last values
        }
    }

    private void CollectEventLoops()
    {
        if (Drover.Core.Io.EventLoopGroup.SharedIfStarted is not { } group) return; // the sockets engine: no loops, no series
        for (var i = 0; i < group.Loops.Count; i++)
        {
            var loop = group.Loops[i];
            var label = i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            _ioLoopSockets.WithLabels(label).Set(loop.Registered);
            Advance(_ioLoopSleeps.WithLabels(label), ref Cursor(loop, 1)[0], loop.Sleeps);
        }
    }

    private void CollectListeners()
    {
        foreach (var listener in _config.Listeners)
        {
            var name = listener.Name;
            _listenerUp.WithLabels(name).Set(_runtime.Listeners.ContainsKey(name) ? 1 : 0);
            if (!_runtime.ListenerCounters.TryGetValue(name, out var counters)) continue;
            var cursor = Cursor(counters, StatusClass.Count + 3);
            Advance(_listenerConnections.WithLabels(name), ref cursor[0], counters.Connections);
            _listenerActive.WithLabels(name).Set(counters.ActiveConnections);
            if (listener.Mode == ListenerMode.Http)
                for (var c = 0; c < StatusClass.Count; c++)
                    Advance(_listenerRequests.WithLabels(name, StatusClass.Name(c)), ref cursor[3 + c], counters.StatusCount(c));
            Advance(_listenerBytesIn.WithLabels(name), ref cursor[1], counters.BytesIn);
            Advance(_listenerBytesOut.WithLabels(name), ref cursor[2], counters.BytesOut);
            if (_runtime.FastPaths.TryGetValue(name, out var fastPath))
            {
                var fast = Cursor(fastPath, 3);
                Advance(_fastPathRequests.WithLabels(name), ref fast[0], fastPath.Served);
                Advance(_fastPathHandovers.WithLabels(name), ref fast[1], fastPath.HandedOver);
                Advance(_fastPathSpliced.WithLabels(name), ref fast[2], fastPath.SplicedBytes);
            }
        }
    }

    private void CollectPool(PoolHandle pool, PoolProtocol.PoolState? state)
    {
        var name = pool.Name;
        var snapshot = pool.Snapshot;
        _poolServing.WithLabels(name).Set(snapshot.Candidates.Length);
        var sessions = SessionCount.Of(pool); // one walk of the cache per scrape
        _poolSessions.WithLabels(name).Set(sessions.Total);
        var poolCursor = Cursor(pool, 4);
        Advance(_poolRetriesDenied.WithLabels(name), ref poolCursor[0], pool.RetryBudget.Denied);
        _poolQueueWaiting.WithLabels(name).Set(pool.Queue?.Waiting ?? 0);
        if (pool.Queue is { } queue)
        {
            Advance(_poolQueued.WithLabels(name), ref poolCursor[1], queue.TotalQueued);
            Advance(_poolQueueTimeouts.WithLabels(name), ref poolCursor[2], queue.TotalTimeouts);
            Advance(_poolQueueRejected.WithLabels(name), ref poolCursor[3], queue.TotalRejected);
        }
        if (state is not null) _poolPanic.WithLabels(name).Set(state.Panic ? 1 : 0);

        foreach (var backend in snapshot.Backends)
        {
            var id = backend.Id;
            var c = Cursor(backend, 6 + StatusClass.Count + 2 * LatencyHistogram.BucketCount);
            Advance(_backendRequests.WithLabels(name, id), ref c[0], backend.Requests);
            Advance(_backendConnections.WithLabels(name, id), ref c[1], backend.Connections);
            Advance(_backendFailures.WithLabels(name, id), ref c[2], backend.Failures);
            Advance(_backendRetries.WithLabels(name, id), ref c[3], backend.Retries);
            Advance(_backendBytesIn.WithLabels(name, id), ref c[4], backend.BytesIn);
            Advance(_backendBytesOut.WithLabels(name, id), ref c[5], backend.BytesOut);
            for (var s = 0; s < StatusClass.Count; s++)
                Advance(_backendResponses.WithLabels(name, id, StatusClass.Name(s)), ref c[6 + s], backend.StatusCount(s));
            _backendActive.WithLabels(name, id).Set(backend.Active);
            _backendSessions.WithLabels(name, id).Set(sessions.For(backend));
            _backendConfiguredWeight.WithLabels(name, id).Set(backend.ConfiguredWeight);
            ReplayLatency(backend, c.AsSpan(6 + StatusClass.Count));

            if (state?.Backends.FirstOrDefault(b => b.Id == id) is not { } b) continue;
            foreach (var health in HealthStates) _backendHealth.WithLabels(name, id, health).Set(b.Health == health ? 1 : 0);
            foreach (var admin in AdminStates) _backendAdmin.WithLabels(name, id, admin).Set(b.Admin == admin ? 1 : 0);
            _backendWeight.WithLabels(name, id).Set(b.Weight);
            _backendHealthChanges.WithLabels(name, id, "down").IncTo(b.Changes.Downs);
            _backendHealthChanges.WithLabels(name, id, "ejection").IncTo(b.Changes.Ejections);
            _backendHealthChanges.WithLabels(name, id, "recovery").IncTo(b.Changes.Recoveries);
        }
    }

    /// <summary>
    /// Feeds each bucket's samples since the last scrape into the Prometheus histogram as their mean
    /// (clamped into the bucket against rounding), with their count: buckets, count and sum come out
    /// exactly as if every sample had been observed.
    /// </summary>
    private void ReplayLatency(Backend backend, Span<long> cursor)
    {
        var child = _backendLatency.WithLabels(backend.Pool, backend.Id);
        var histogram = backend.Latency;
        var bounds = LatencyHistogram.BoundsSeconds;
        var buckets = LatencyHistogram.BucketCount;
        for (var i = 0; i < buckets; i++)
        {
            var count = histogram.Count(i);
            var sum = histogram.SumTicks(i); // added before the count: never behind it
            var samples = count - cursor[i];
            if (samples <= 0) continue;
            var ticks = sum - cursor[buckets + i];
            cursor[i] = count;
            cursor[buckets + i] = sum;
            var mean = ticks / (double)samples / Stopwatch.Frequency;
            var lower = i == 0 ? 0 : bounds[i - 1];
            if (mean <= lower) mean = Math.BitIncrement(lower);
            if (i < bounds.Count && mean > bounds[i]) mean = bounds[i];
            child.Observe(mean, samples);
        }
    }

    private void CollectCluster()
    {
        var cluster = Cluster.Get(_system);
        var state = cluster.State;
        foreach (var status in MemberStatuses)
            _clusterMembers.WithLabels(Readiness.StatusName(status)).Set(state.Members.Count(m => m.Status == status));
        _clusterUnreachable.Set(state.Unreachable.Count);
        _clusterLeader.Set(state.Leader is { } leader && leader.Equals(cluster.SelfAddress) ? 1 : 0);
        _ready.Set(_readiness().Ready ? 1 : 0);
    }

    /// <summary>Adds what <paramref name="current"/> grew by since <paramref name="last"/>, and moves the cursor.</summary>
    private static void Advance(Counter.Child counter, ref long last, long current)
    {
        if (current <= last) return;
        counter.Inc(current - last);
        last = current;
    }

    /// <summary>The last values read from <paramref name="source"/> (a backend, a listener's counters, ...), kept while the source is in use.</summary>
    private long[] Cursor(object source, int slots)
    {
        _seen.Add(source);
        if (!_cursors.TryGetValue(source, out var cursor)) _cursors[source] = cursor = new long[slots];
        return cursor;
    }

    /// <summary>Drops the series of pools, backends and listeners that a reload removed, so no gauge goes on reporting them.</summary>
    private void RemoveGone(PoolHandle[] pools)
    {
        var backends = pools.SelectMany(p => p.Snapshot.Backends.Select(b => (p.Name, b.Id))).ToHashSet();
        foreach (var (pool, id) in _backendSeries.Where(s => !backends.Contains(s)))
        {
            foreach (var collector in new Collector<Counter.Child>[] { _backendRequests, _backendConnections, _backendFailures, _backendRetries, _backendBytesIn, _backendBytesOut })
                collector.RemoveLabelled(pool, id);
            foreach (var gauge in new[] { _backendActive, _backendWeight, _backendConfiguredWeight, _backendSessions }) gauge.RemoveLabelled(pool, id);
            for (var s = 0; s < StatusClass.Count; s++) _backendResponses.RemoveLabelled(pool, id, StatusClass.Name(s));
            foreach (var change in new[] { "down", "ejection", "recovery" }) _backendHealthChanges.RemoveLabelled(pool, id, change);
            foreach (var health in HealthStates) _backendHealth.RemoveLabelled(pool, id, health);
            foreach (var admin in AdminStates) _backendAdmin.RemoveLabelled(pool, id, admin);
            _backendLatency.RemoveLabelled(pool, id);
        }
        _backendSeries = backends;

        var poolNames = pools.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var pool in _poolSeries.Where(p => !poolNames.Contains(p)))
        {
            foreach (var collector in new Collector<Counter.Child>[] { _poolQueued, _poolQueueTimeouts, _poolQueueRejected, _poolRetriesDenied }) collector.RemoveLabelled(pool);
            foreach (var gauge in new[] { _poolQueueWaiting, _poolPanic, _poolServing, _poolSessions }) gauge.RemoveLabelled(pool);
        }
        _poolSeries = poolNames;

        var listeners = _config.Listeners.Select(l => l.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var listener in _listenerSeries.Where(l => !listeners.Contains(l)))
        {
            foreach (var collector in new Collector<Counter.Child>[] { _listenerConnections, _listenerBytesIn, _listenerBytesOut, _fastPathRequests, _fastPathHandovers, _fastPathSpliced })
                collector.RemoveLabelled(listener);
            foreach (var gauge in new[] { _listenerActive, _listenerUp }) gauge.RemoveLabelled(listener);
            for (var s = 0; s < StatusClass.Count; s++) _listenerRequests.RemoveLabelled(listener, StatusClass.Name(s));
        }
        _listenerSeries = listeners;
    }

    /// <summary>Forgets the cursors of sources that are gone (replaced backends or listeners), so none is kept for ever.</summary>
    private void ForgetUnseen()
    {
        foreach (var source in _cursors.Keys.Where(k => !_seen.Contains(k)).ToList()) _cursors.Remove(source);
        _seen.Clear();
    }
}
