using System.Diagnostics;
using Akka.Actor;
using Akka.Event;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;
using Akka.DistributedData;
using Drover.Node.Health;
using Drover.Node.Health.Cluster;

namespace Drover.Node.Pools;

/// <summary>
/// Owns one pool: its backends' health (active checks and passive outlier detection, decided by
/// <see cref="BackendHealth"/>), their admin states, slow start, and the snapshot the data path
/// reads. Every change produces a new immutable snapshot, published through the pool's
/// <see cref="PoolHandle"/>. The data path never waits for this actor; it only tells it what it saw.
/// </summary>
public sealed class PoolActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan TickInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan DrainCheckInterval = TimeSpan.FromMilliseconds(100);
    private const int SlowStartScale = 10;
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(3);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PoolHandle _handle;
    private PoolConfig _config;
    private readonly Func<TimeSpan> _clock;
    // Config order. A reload adds and removes entries; ordinals are never reused, so what the data
    // path tells about a removed backend (by ordinal) finds nothing rather than another backend.
    private readonly List<BackendEntry> _entries;
    private readonly Dictionary<string, BackendEntry> _byId;
    private readonly Dictionary<int, BackendEntry> _byOrdinal;
    // Removed by a reload: no new traffic; what is in flight on them finishes, then their idle connections close.
    private readonly List<BackendEntry> _retired = new();
    // Admin states this actor applied and wrote to the store, per backend, until the write is
    // acknowledged: a store notice sent before the store took the write would undo it for a moment.
    private readonly Dictionary<string, int> _adminWritesInFlight = new();
    private int _nextOrdinal;
    private int _checkerGeneration;
    private bool _retiring;
    private long _version;
    private bool _panic;
    private bool _ramping;
    private readonly IActorRef? _healthRegion;
    private readonly string _node;

    /// <param name="healthRegion">
    /// The <c>backend-health</c> shard region: when given, active checks run once in the cluster (in the
    /// backend's entity) and this actor follows the cluster's verdicts, reporting its own passive
    /// ejections to the entity; when null (a node without cluster health, actor tests), it probes itself.
    /// </param>
    public PoolActor(PoolConfig config, PoolHandle handle, Backend[] backends, Func<TimeSpan>? clock = null, IActorRef? healthRegion = null)
    {
        _healthRegion = healthRegion;
        _node = healthRegion is null ? "" : Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        _config = config;
        _handle = handle;
        _clock = clock ?? DefaultClock;
        _version = handle.Snapshot.Version;
        var now = _clock();
        var windowSeconds = (int)Math.Ceiling(Math.Max(1, config.Health.Passive.Window.TotalSeconds));
        _entries = backends.Select((b, i) => new BackendEntry(b, new BackendHealth(config.Health, now),
            i < config.Backends.Count ? config.Backends[i].State : AdminState.Ready, windowSeconds)).ToList();
        _byId = _entries.ToDictionary(e => e.Backend.Id, StringComparer.Ordinal);
        _byOrdinal = new Dictionary<int, BackendEntry>();
        foreach (var entry in _entries) _byOrdinal.TryAdd(entry.Backend.Ordinal, entry);
        _nextOrdinal = backends.Length == 0 ? 0 : backends.Max(b => b.Ordinal) + 1;

        Receive<PoolProtocol.BackendFailed>(OnBackendFailed);
        Receive<ProbeResult>(OnProbe);
        Receive<PoolProtocol.Tick>(_ => OnTick());
        Receive<PoolProtocol.EjectionDue>(due => OnEjectionDue(due.Ordinal));
        Receive<PoolProtocol.CheckDrains>(_ => CheckDrains());
        Receive<PoolProtocol.SetAdminState>(OnSetAdminState);
        Receive<PoolProtocol.GetState>(_ => Sender.Tell(State()));
        Receive<Changed>(OnVerdicts);
        Receive<UpdateSuccess>(success => OnAdminWriteDone(success.Request));
        Receive<UpdateTimeout>(timeout =>
        {
            _log.Debug("pool {0}: admin state written locally; not every node acknowledged in time", _config.Name);
            OnAdminWriteDone(timeout.Request);
        });
        Receive<ModifyFailure>(failure => OnAdminWriteDone(failure.Request));
        Receive<StoreFailure>(failure => OnAdminWriteDone(failure.Request));
        Receive<PoolProtocol.WatchBackends>(_ => WatchBackends());
        Receive<PoolProtocol.Reconfigure>(OnReconfigure);
        Receive<PoolProtocol.Retire>(_ => OnRetire());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static TimeSpan DefaultClock() => Stopwatch.GetElapsedTime(0);

    protected override void PreStart()
    {
        _handle.Actor = Self;
        if (_healthRegion is not null)
        {
            DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(BackendHealthProtocol.VerdictsKey(_config.Name), Self));
            DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(AdminStateStore.Key(_config.Name), Self));
            DistributedData.Get(Context.System).Replicator.Tell(Dsl.Subscribe(BackendWeightStore.Key(_config.Name), Self));
            WatchBackends();
            Timers.StartPeriodicTimer("watch", PoolProtocol.WatchBackends.Instance, WatchInterval);
        }
        else StartCheckers(_entries);
        Timers.StartPeriodicTimer("tick", PoolProtocol.Tick.Instance, TickInterval);
        Publish();
        CheckDrains();
    }

    /// <summary>This node's own active checks (without cluster health): one child per backend.</summary>
    private void StartCheckers(IEnumerable<BackendEntry> entries)
    {
        if (_healthRegion is not null || !_config.Health.Active.Enabled) return;
        // A generation in the name: a checker replaced by a reload may not have stopped yet.
        foreach (var entry in entries)
            entry.Checker = Context.ActorOf(HealthCheckActor.Props(_config.Health.Active, entry.Backend, Self),
                $"check-{entry.Backend.Ordinal}-{_checkerGeneration}");
    }

    private static void StopChecker(BackendEntry entry)
    {
        if (entry.Checker is { } checker) Context.Stop(checker);
        entry.Checker = null;
    }

    // ---- reload ----

    /// <summary>
    /// Applies a reloaded pool config in place. Backends whose id and address stay keep their
    /// <see cref="Backend"/> (counters, connections, health, admin state); a new weight applies at once.
    /// New backends join (ramping with slow start, as a backend returning to service does). Removed
    /// ones leave the snapshot, so they take no new traffic, and drain. Pool-wide settings go to the
    /// handle; the new snapshot gets a higher version.
    /// </summary>
    /// <summary>The last cluster-wide weights seen (<see cref="BackendWeightStore"/>), for backends a reload adds.</summary>
    private LWWDictionary<string, string>? _setWeights;

    private void OnReconfigure(PoolProtocol.Reconfigure reconfigure)
    {
        var config = reconfigure.Config;
        var old = _config;
        var now = _clock();
        var windowSeconds = (int)Math.Ceiling(Math.Max(1, config.Health.Passive.Window.TotalSeconds));
        var oldStates = old.Backends.ToDictionary(b => b.Id, b => b.State, StringComparer.Ordinal);
        var healthChanged = old.Health != config.Health;

        var next = new List<BackendEntry>(config.Backends.Count);
        var added = new List<BackendEntry>();
        var stateChanges = new List<(BackendEntry Entry, AdminState State)>();
        foreach (var backendConfig in config.Backends)
        {
            if (_byId.TryGetValue(backendConfig.Id, out var entry) && entry.Backend.Address == backendConfig.Address)
            {
                if (entry.Backend.ConfiguredWeight != backendConfig.Weight) entry.Backend.SetConfiguredWeight(backendConfig.Weight);
                if (healthChanged) entry.Health.Reconfigure(config.Health);
                // A state written in the file applies when the file changes it; an unchanged one leaves an operator's drain alone.
                if (oldStates.TryGetValue(backendConfig.Id, out var was) && was != backendConfig.State && entry.Admin != backendConfig.State)
                    stateChanges.Add((entry, backendConfig.State));
                next.Add(entry);
                continue;
            }
            var backend = new Backend(config.Name, backendConfig, _nextOrdinal++);
            var fresh = new BackendEntry(backend, new BackendHealth(config.Health, now), backendConfig.State, windowSeconds)
            {
                // Joining is a return to service: slow start ramps it like one.
                ReadySince = now,
            };
            next.Add(fresh);
            added.Add(fresh);
        }

        var kept = next.ToHashSet();
        foreach (var entry in _entries.Where(e => !kept.Contains(e)))
        {
            StopChecker(entry);
            Timers.Cancel($"eject-{entry.Backend.Ordinal}");
            _byOrdinal.Remove(entry.Backend.Ordinal);
            entry.Drained = false;
            _retired.Add(entry);
            RetireInCluster(entry);
            _log.Info("pool {0}: backend {1} ({2}) removed by reload; it takes no new traffic, {3} in flight finish",
                _config.Name, entry.Backend.Id, entry.Backend.Address, entry.Backend.Active);
        }

        _entries.Clear();
        _entries.AddRange(next);
        _byId.Clear();
        foreach (var entry in _entries)
        {
            _byId[entry.Backend.Id] = entry;
            _byOrdinal[entry.Backend.Ordinal] = entry;
        }

        _config = config;
        _handle.Reconfigure(config, added.Select(e => e.Backend).ToList(), _entries.Select(e => e.Backend), reconfigure.AttachSessions);

        if (healthChanged)
        {
            // The checks follow the new settings: this node's checkers restart; in a cluster the
            // backends' entities stop and come back (with the next watch) reading the new config.
            _checkerGeneration++;
            foreach (var entry in _entries.Except(added))
            {
                StopChecker(entry);
                RetireInCluster(entry);
            }
            StartCheckers(_entries);
        }
        else StartCheckers(added);
        foreach (var entry in added)
            _log.Info("pool {0}: backend {1} ({2}) added by reload{3}", _config.Name, entry.Backend.Id, entry.Backend.Address,
                _config.SlowStart > TimeSpan.Zero ? $"; slow start ramps it over {_config.SlowStart.TotalSeconds:0.#} s" : "");
        foreach (var (entry, state) in stateChanges) ApplyAdminState(entry, state);
        // A backend the reload added may have had a weight set cluster-wide (lb weight) already.
        if (_setWeights is not null && added.Count > 0) OnSetWeights(_setWeights);

        WatchBackends();
        // An entity told to stop may still have been stopping at that watch: watch again soon rather than at the next period.
        if (_healthRegion is not null && healthChanged) Timers.StartSingleTimer("rewatch", PoolProtocol.WatchBackends.Instance, TimeSpan.FromMilliseconds(500));
        Publish();
        CheckDrains();
        Sender.Tell(new PoolProtocol.Reconfigured(_config.Name, _handle.Snapshot.Version));
    }

    /// <summary>Tells a backend's cluster entity to stop (removed, or its health settings changed); a new one starts from the current config when next watched.</summary>
    private void RetireInCluster(BackendEntry entry) =>
        _healthRegion?.Tell(new BackendHealthProtocol.Retire(_config.Name, entry.Backend.Id));

    /// <summary>
    /// The pool was removed by a reload and no listener routes to it any more: it stops once nothing
    /// is in flight on any of its backends (a TCP connection keeps it as long as it lasts).
    /// </summary>
    private void OnRetire()
    {
        if (_retiring) return;
        _retiring = true;
        foreach (var entry in _entries)
        {
            StopChecker(entry);
            RetireInCluster(entry);
            entry.Drained = false;
            _retired.Add(entry);
        }
        _entries.Clear();
        _byOrdinal.Clear();
        Timers.Cancel("watch");
        _log.Info("pool {0}: removed by reload; stops when {1} in flight have finished", _config.Name, _retired.Sum(e => e.Backend.Active));
        CheckDrains();
    }

    // ---- what the data path and the checks report ----

    private void OnBackendFailed(PoolProtocol.BackendFailed failed)
    {
        if (!TryEntry(failed.Ordinal, out var entry)) return;
        var now = _clock();
        // Reports come from whichever thread saw the failure, so they may arrive out of order; the
        // streak's generation says which streak each belongs to.
        var age = unchecked(failed.Generation - entry.StreakGeneration);
        if (age < 0)
        {
            // A streak that has already ended (a success or a verdict came after it): nothing to decide.
            LogFault(entry, failed.Detail);
            return;
        }
        if (age > 0)
        {
            // A new streak: a success, or this actor's verdict, ended the one before.
            entry.Health.OnSuccesses(1);
            entry.StreakGeneration = failed.Generation;
        }
        Apply(entry, entry.Health.OnFailure(failed.Detail, now, AllowEject(), failed.Streak), now);
        // The data path passes over a backend whose streak reached the threshold until this verdict
        // (published just above): ejected, or kept (max-ejected, not Up); either way the count starts over.
        if (failed.Streak >= _handle.EjectStreak) entry.Backend.ResetFailureStreak(failed.Generation);
        LogFault(entry, failed.Detail);
    }

    private void OnProbe(ProbeResult result)
    {
        if (!TryEntry(result.Ordinal, out var entry)) return;
        var now = _clock();
        Apply(entry, entry.Health.OnProbe(result.Ok, result.Detail, now), now);
    }

    private void OnTick()
    {
        var now = _clock();
        foreach (var entry in _entries)
        {
            var (requests, failures, fresh) = entry.Sample();
            if (fresh > 0 && entry.Backend.FailureStreak == 0) entry.Health.OnSuccesses(fresh);
            Apply(entry, entry.Health.OnWindow(requests, failures, now, AllowEject()), now);
            Apply(entry, entry.Health.OnTick(now), now);
        }
        _handle.FeedRetryBudget();
        if (_ramping && !_retiring) Publish();
    }

    private void OnEjectionDue(int ordinal)
    {
        if (!TryEntry(ordinal, out var entry)) return;
        var now = _clock();
        // The timer may arrive a little before the deadline on this clock (up to 2.4 ms measured under load). Wait out the rest:
        // left alone, the ejection would end only at the next 1 s tick, outliving its eject-time.
        if (entry.Health.Status == BackendHealthStatus.Ejected && entry.Health.EjectedUntil is { } until && until > now)
        {
            Timers.StartSingleTimer($"eject-{ordinal}", new PoolProtocol.EjectionDue(ordinal), until - now);
            return;
        }
        Apply(entry, entry.Health.OnTick(now), now);
    }

    /// <summary>Logs and publishes a health change, and rebuilds the snapshot.</summary>
    private void Apply(BackendEntry entry, HealthTransition? transition, TimeSpan now)
    {
        if (transition is null) return;
        var id = entry.Backend.Id;
        var line = $"pool {_config.Name}: backend {id} {Name(transition.From)} -> {Name(transition.To)}: {transition.Reason}";
        if (transition.To == BackendHealthStatus.Up) _log.Info(line);
        else _log.Warning(line);
        Context.System.EventStream.Publish(new PoolProtocol.BackendHealthChanged(_config.Name, id, transition.From, transition.To, transition.Reason));
        switch (transition.To)
        {
            case BackendHealthStatus.Down: entry.Downs++; break;
            case BackendHealthStatus.Ejected: entry.Ejections++; break;
            case BackendHealthStatus.Up: entry.Recoveries++; break;
        }
        if (transition.To == BackendHealthStatus.Ejected && entry.Health.EjectedUntil is { } until)
            Timers.StartSingleTimer($"eject-{entry.Backend.Ordinal}", new PoolProtocol.EjectionDue(entry.Backend.Ordinal), until - now);
        if (transition.To == BackendHealthStatus.Ejected || transition.From == BackendHealthStatus.Ejected) ReportToCluster(entry, now);
        Publish();
    }

    // ---- the cluster's verdicts ----

    /// <summary>Keeps every backend's entity (and so its one prober) alive, and repeats this node's ejections for entities that moved.</summary>
    private void WatchBackends()
    {
        if (_healthRegion is null) return;
        var now = _clock();
        foreach (var entry in _entries)
        {
            _healthRegion.Tell(new BackendHealthProtocol.Watch(_config.Name, entry.Backend.Id));
            if (entry.Health.Status == BackendHealthStatus.Ejected) ReportToCluster(entry, now);
        }
    }

    private void ReportToCluster(BackendEntry entry, TimeSpan now)
    {
        if (_healthRegion is null) return;
        var ejected = entry.Health.Status == BackendHealthStatus.Ejected && entry.Health.EjectedUntil is not null;
        var until = ejected ? DateTime.UtcNow + (entry.Health.EjectedUntil!.Value - now) : DateTime.UtcNow;
        _healthRegion.Tell(new BackendHealthProtocol.NodeReport(_config.Name, entry.Backend.Id, _node, ejected, until,
            entry.Health.LastTransition?.Reason ?? ""));
    }

    private void OnVerdicts(Changed changed)
    {
        if (changed.Key.Equals(AdminStateStore.Key(_config.Name)))
        {
            OnAdminStates(changed.Get(AdminStateStore.Key(_config.Name)));
            return;
        }
        if (changed.Key.Equals(BackendWeightStore.Key(_config.Name)))
        {
            OnSetWeights(changed.Get(BackendWeightStore.Key(_config.Name)));
            return;
        }
        if (!changed.Key.Equals(BackendHealthProtocol.VerdictsKey(_config.Name))) return;
        var verdicts = changed.Get(BackendHealthProtocol.VerdictsKey(_config.Name));
        var now = _clock();
        var any = false;
        foreach (var entry in _entries)
        {
            var verdict = verdicts.TryGetValue(entry.Backend.Id, out var text) ? BackendHealthProtocol.Verdict.Decode(text) : BackendHealthProtocol.Verdict.Up;
            var previous = entry.ClusterVerdict;
            if (previous.Status == verdict.Status) continue;
            entry.ClusterVerdict = verdict;
            if (verdict.Status == BackendHealthStatus.Up) entry.ClusterUpSince = now;
            var line = $"pool {_config.Name}: backend {entry.Backend.Id} cluster verdict {Name(previous.Status)} -> {Name(verdict.Status)}" +
                       (verdict.Reason.Length > 0 ? $": {verdict.Reason}" : "");
            if (verdict.Status == BackendHealthStatus.Up) _log.Info(line);
            else _log.Warning(line);
            Context.System.EventStream.Publish(new PoolProtocol.BackendHealthChanged(_config.Name, entry.Backend.Id, previous.Status, verdict.Status, verdict.Reason));
            switch (verdict.Status)
            {
                case BackendHealthStatus.Down: entry.Downs++; break;
                case BackendHealthStatus.Ejected: entry.Ejections++; break;
                case BackendHealthStatus.Up: entry.Recoveries++; break;
            }
            any = true;
        }
        if (any) Publish();
    }

    private bool AllowEject()
    {
        var ejected = _entries.Count(e => e.Health.Status == BackendHealthStatus.Ejected);
        var usable = _entries.Count(e => e.IsHealthy && e.Admin != AdminState.Maint);
        return MaxEjected.Allows(ejected, usable, _entries.Count, _config.Health.Passive.MaxEjected);
    }

    private void LogFault(BackendEntry entry, string detail)
    {
        // Faults are counted and retried by the data path; the log only shows them, without flooding.
        var now = DateTime.UtcNow;
        if (now - entry.LastFailureLog < FailureLogInterval) return;
        entry.LastFailureLog = now;
        _log.Warning("pool {0}: backend {1} failed: {2}", _config.Name, entry.Backend.Id, detail);
    }

    // ---- admin state and drains ----

    private void OnSetAdminState(PoolProtocol.SetAdminState set)
    {
        if (!_byId.TryGetValue(set.BackendId, out var entry))
        {
            Sender.Tell(new PoolProtocol.AdminStateResult(false,
                $"pool '{_config.Name}' has no backend '{set.BackendId}' (backends: {string.Join(", ", _byId.Keys)})"));
            return;
        }
        var from = entry.Admin;
        if (from == set.State)
        {
            Sender.Tell(new PoolProtocol.AdminStateResult(true, $"backend {set.BackendId} is already {from.ToConfigName()}"));
            return;
        }

        ApplyAdminState(entry, set.State);
        if (_healthRegion is not null)
        {
            // In a cluster the state is cluster-wide: every node's pool actor follows this write.
            _adminWritesInFlight[set.BackendId] = _adminWritesInFlight.GetValueOrDefault(set.BackendId) + 1;
            DistributedData.Get(Context.System).Replicator.Tell(Dsl.Update(AdminStateStore.Key(_config.Name), LWWDictionary<string, string>.Empty,
                new WriteAll(TimeSpan.FromSeconds(3)), set.BackendId, d => d.SetItem(Akka.Cluster.Cluster.Get(Context.System), set.BackendId, set.State.ToConfigName())));
        }
        Sender.Tell(new PoolProtocol.AdminStateResult(true, $"backend {set.BackendId} {from.ToConfigName()} -> {set.State.ToConfigName()}"));
    }

    /// <summary>Admin states set cluster-wide (<see cref="AdminStateStore"/>), by any node's operator.</summary>
    private void OnAdminStates(LWWDictionary<string, string> states)
    {
        foreach (var (id, text) in states)
            if (!_adminWritesInFlight.ContainsKey(id) && _byId.TryGetValue(id, out var entry) && AdminStates.TryParse(text, out var state) && entry.Admin != state)
                ApplyAdminState(entry, state);
    }

    /// <summary>
    /// This actor's write of a backend's admin state was acknowledged (or timed out, having been
    /// written locally). Store notices sent before it may still show the previous state and are
    /// skipped for that backend until now; any notice after it shows this write or a later one.
    /// </summary>
    private void OnAdminWriteDone(object? request)
    {
        if (request is not string id || !_adminWritesInFlight.TryGetValue(id, out var count)) return;
        if (count <= 1) _adminWritesInFlight.Remove(id);
        else _adminWritesInFlight[id] = count - 1;
    }

    /// <summary>
    /// Weights set cluster-wide with <c>lb weight</c> (<see cref="BackendWeightStore"/>); a backend
    /// missing from the dictionary is back on its configured weight. A backend that goes from weight 0
    /// to more returns to service, so slow start ramps it like one whose admin state became ready.
    /// </summary>
    private void OnSetWeights(LWWDictionary<string, string> weights)
    {
        _setWeights = weights;
        var any = false;
        var now = _clock();
        foreach (var entry in _entries)
        {
            int? set = null;
            if (weights.TryGetValue(entry.Backend.Id, out var text))
            {
                if (BackendWeightStore.TryParse(text, out var w) && w <= BackendConfig.MaxWeight) set = w;
                else
                {
                    _log.Warning("pool {0}: backend {1}: ignoring set weight '{2}' (not 0 to {3})", _config.Name, entry.Backend.Id, text, BackendConfig.MaxWeight);
                    continue;
                }
            }
            if (set == entry.SetWeight) continue;
            var before = entry.BaseWeight;
            entry.SetWeight = set;
            if (before == 0 && entry.BaseWeight > 0) entry.ReadySince = now;
            _log.Info("pool {0}: backend {1} weight {2} -> {3}{4}", _config.Name, entry.Backend.Id, before, entry.BaseWeight,
                set is null ? " (back to the configured weight)" : " (set at run time)");
            any = true;
        }
        if (any) Publish();
    }

    private void ApplyAdminState(BackendEntry entry, AdminState state)
    {
        var from = entry.Admin;
        entry.Admin = state;
        entry.Drained = false;
        if (state == AdminState.Ready) entry.ReadySince = _clock();
        _log.Info("pool {0}: backend {1} admin state {2} -> {3}", _config.Name, entry.Backend.Id, from.ToConfigName(), state.ToConfigName());
        Context.System.EventStream.Publish(new PoolProtocol.BackendAdminChanged(_config.Name, entry.Backend.Id, from, state));
        Publish();
        CheckDrains();
    }

    /// <summary>Reports drains whose last in-flight work has ended, and polls quickly while any is still running.</summary>
    private void CheckDrains()
    {
        var pending = false;
        foreach (var entry in _entries)
        {
            if (entry.Admin == AdminState.Ready || entry.Drained) continue;
            if (entry.Backend.Active > 0)
            {
                pending = true;
                continue;
            }
            entry.Drained = true;
            entry.DrainsCompleted++;
            _log.Info("pool {0}: backend {1} drain complete ({2}): no request or connection in flight", _config.Name, entry.Backend.Id, entry.Admin.ToConfigName());
            Context.System.EventStream.Publish(new PoolProtocol.BackendDrained(_config.Name, entry.Backend.Id));
        }
        if (CheckRetired()) pending = true;
        if (_retiring && _retired.Count == 0)
        {
            _log.Info("pool {0}: drained; stopped", _config.Name);
            Context.Stop(Self);
            return;
        }
        if (pending) Timers.StartSingleTimer("drains", PoolProtocol.CheckDrains.Instance, DrainCheckInterval);
    }

    /// <summary>
    /// Lets go of removed backends with nothing in flight, seen idle on two checks in a row (a fast-path
    /// request ends its count just before it returns its connection to the pool, which is then closed).
    /// True while any is still busy.
    /// </summary>
    private bool CheckRetired()
    {
        for (var i = _retired.Count - 1; i >= 0; i--)
        {
            var entry = _retired[i];
            if (entry.Backend.Active > 0)
            {
                entry.Drained = false;
                continue;
            }
            if (!entry.Drained)
            {
                entry.Drained = true; // idle once; gone at the next check if still idle
                continue;
            }
            var connections = _handle.Connections;
            if (entry.Backend.Ordinal < connections.Length && ReferenceEquals(connections[entry.Backend.Ordinal].Backend, entry.Backend))
                connections[entry.Backend.Ordinal].Clear();
            _retired.RemoveAt(i);
            _log.Info("pool {0}: removed backend {1} drained: nothing in flight", _config.Name, entry.Backend.Id);
            Context.System.EventStream.Publish(new PoolProtocol.BackendDrained(_config.Name, entry.Backend.Id));
        }
        return _retired.Count > 0;
    }

    // ---- the snapshot ----

    /// <summary>Builds the snapshot for the current state and swaps it in.</summary>
    private void Publish()
    {
        // A removed pool keeps its last snapshot: requests in flight (a retry, a queued one) still pick from it.
        if (_retiring) return;
        var now = _clock();
        var ramping = _config.SlowStart > TimeSpan.Zero && _entries.Any(e => IsServing(e) && SlowStart.IsRamping(e.RampStart, now, _config.SlowStart));
        var weights = new Dictionary<Backend, int>(_entries.Count);
        foreach (var entry in _entries)
            weights[entry.Backend] = IsServing(entry) ? Weight(entry, now, ramping) : 0;

        var panic = _config.AllUnhealthy == AllUnhealthyMode.UseAll && weights.Values.All(w => w == 0)
                    && _entries.Any(e => e.Admin == AdminState.Ready && e.BaseWeight > 0);
        if (panic)
            foreach (var entry in _entries)
                weights[entry.Backend] = entry.Admin == AdminState.Ready ? entry.BaseWeight : 0;
        if (panic != _panic)
        {
            if (panic) _log.Warning("pool {0}: no healthy backend; all-unhealthy = use-all, sending to every ready backend (panic mode)", _config.Name);
            else _log.Info("pool {0}: healthy backends again; panic mode over", _config.Name);
            _panic = panic;
        }

        _ramping = ramping;
        // Sessions stay on a backend that is healthy (or any, in panic mode) and not in maint: drain keeps them.
        var keepsSessions = _entries.ToDictionary(e => e.Backend, e => e.Admin != AdminState.Maint && (panic || e.IsHealthy));
        var baseWeights = _entries.ToDictionary(e => e.Backend, e => e.BaseWeight);
        var snapshot = PoolSnapshot.Build(_config, ++_version, _entries.Select(e => e.Backend).ToArray(), b => weights[b], b => keepsSessions[b],
            b => baseWeights[b]);
        _handle.Publish(snapshot);
    }

    private static bool IsServing(BackendEntry entry) => entry.Admin == AdminState.Ready && entry.IsHealthy;

    /// <summary>
    /// Slow start: while any backend ramps, every weight is scaled so that a weight-1 backend can ramp
    /// next to others (the balancers only use the ratios).
    /// </summary>
    private int Weight(BackendEntry entry, TimeSpan now, bool ramping)
    {
        var configured = entry.BaseWeight;
        if (!ramping) return configured;
        return SlowStart.EffectiveWeight(configured * SlowStartScale, entry.RampStart, now, _config.SlowStart);
    }

    private PoolProtocol.PoolState State()
    {
        var snapshot = _handle.Snapshot;
        var backends = _entries.Select(e =>
        {
            var b = e.Backend;
            var index = Array.IndexOf(snapshot.Candidates, b);
            return new PoolProtocol.BackendState(b.Id, b.Address.ToString(), index >= 0 ? snapshot.Weights[index] : 0, b.ConfiguredWeight,
                index >= 0, HealthName(e), HealthReason(e), e.Admin.ToConfigName(), e.Drained,
                b.Active, b.Requests, b.Failures, b.Retries, b.LatencyEwma.TotalMilliseconds,
                new PoolProtocol.StateChanges(e.Downs, e.Ejections, e.Recoveries, e.DrainsCompleted), e.SetWeight);
        }).ToList();
        return new PoolProtocol.PoolState(_config.Name, _config.Balance.ToConfigName(), snapshot.Version, _panic,
            _handle.Queue?.Waiting ?? 0, backends);
    }

    /// <summary>The worse of this node's verdict and the cluster's.</summary>
    private static string HealthName(BackendEntry e) =>
        e.ClusterVerdict.Status == BackendHealthStatus.Down || e.Health.Status == BackendHealthStatus.Down ? "down"
        : e.ClusterVerdict.Status == BackendHealthStatus.Ejected || e.Health.Status == BackendHealthStatus.Ejected ? "ejected"
        : "up";

    private static string HealthReason(BackendEntry e) =>
        e.ClusterVerdict.Status != BackendHealthStatus.Up ? $"cluster: {e.ClusterVerdict.Reason}" : e.Health.LastTransition?.Reason ?? "";

    private bool TryEntry(int ordinal, out BackendEntry entry)
    {
        return _byOrdinal.TryGetValue(ordinal, out entry!);
    }

    private static string Name(BackendHealthStatus status) => status switch
    {
        BackendHealthStatus.Up => "up",
        BackendHealthStatus.Down => "down",
        BackendHealthStatus.Ejected => "ejected",
        _ => status.ToString().ToLowerInvariant(),
    };

    protected override void PostStop()
    {
        // A pool removed by a reload owns its handle; the load balancer disposes the others when it stops.
        if (_retiring) _handle.Dispose();
    }

    public static Props Props(PoolConfig config, PoolHandle handle, Backend[] backends, Func<TimeSpan>? clock = null, IActorRef? healthRegion = null) =>
        Akka.Actor.Props.Create(() => new PoolActor(config, handle, backends, clock, healthRegion));
}
