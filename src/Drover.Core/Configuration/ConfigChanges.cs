namespace Drover.Core.Configuration;

/// <summary>
/// What a reload would change between the running <c>drover</c> section and a new, valid one: pools
/// and listeners added, removed and changed (with what changed in each), and the changes a running
/// node cannot apply (<see cref="Rejections"/>, each with its key path). Pure: computed from the two
/// configs, applied by the node's load balancer actor.
/// </summary>
public sealed class ConfigChanges
{
    private ConfigChanges() { }

    public IReadOnlyList<string> AddedPools { get; private init; } = [];
    public IReadOnlyList<string> RemovedPools { get; private init; } = [];
    public IReadOnlyList<PoolChange> ChangedPools { get; private init; } = [];
    public IReadOnlyList<string> AddedListeners { get; private init; } = [];
    public IReadOnlyList<string> RemovedListeners { get; private init; } = [];
    public IReadOnlyList<ListenerChange> ChangedListeners { get; private init; } = [];

    /// <summary>Changes that need a restart; a reload with any of them is rejected whole.</summary>
    public IReadOnlyList<ConfigError> Rejections { get; private init; } = [];

    public bool IsEmpty =>
        AddedPools.Count == 0 && RemovedPools.Count == 0 && ChangedPools.Count == 0 &&
        AddedListeners.Count == 0 && RemovedListeners.Count == 0 && ChangedListeners.Count == 0;

    /// <summary>One line, e.g. <c>+pool api, ~pool web (+b4 -b2, weights), -listener old</c>; <c>no changes</c> when empty.</summary>
    public string Summary
    {
        get
        {
            if (IsEmpty) return "no changes";
            var parts = new List<string>();
            parts.AddRange(AddedPools.Select(p => $"+pool {p}"));
            parts.AddRange(ChangedPools.Select(p => $"~pool {p.Name} ({p.Describe()})"));
            parts.AddRange(RemovedPools.Select(p => $"-pool {p}"));
            parts.AddRange(AddedListeners.Select(l => $"+listener {l}"));
            parts.AddRange(ChangedListeners.Select(l => $"~listener {l.Name} ({string.Join(", ", l.What)}{(l.Rebind ? ", rebind" : "")})"));
            parts.AddRange(RemovedListeners.Select(l => $"-listener {l}"));
            return string.Join(", ", parts);
        }
    }

    public static ConfigChanges Between(DroverConfig running, DroverConfig next)
    {
        var rejections = new List<ConfigError>();
        RejectRestartOnly(running, next, rejections);

        var oldPools = running.Pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var newPools = next.Pools.ToDictionary(p => p.Name, StringComparer.Ordinal);
        var changedPools = new List<PoolChange>();
        foreach (var pool in next.Pools)
            if (oldPools.TryGetValue(pool.Name, out var old) && PoolChange.Of(old, pool) is { } change)
                changedPools.Add(change);

        var oldListeners = running.Listeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var newListeners = next.Listeners.ToDictionary(l => l.Name, StringComparer.Ordinal);
        var changedListeners = new List<ListenerChange>();
        foreach (var listener in next.Listeners)
        {
            if (!oldListeners.TryGetValue(listener.Name, out var old)) continue;
            if (ListenerChange.Of(old, listener) is not { } change) continue;
            changedListeners.Add(change);
            if (old.Bind == listener.Bind && old.Mode != listener.Mode)
                rejections.Add(new ConfigError($"{listener.Path}.mode",
                    $"cannot change from {Name(old.Mode)} to {Name(listener.Mode)} while the listener keeps bind {listener.Bind}: the new socket could not bind until the old one drains; change the bind too, or restart"));
            if (old.Bind == listener.Bind && old.Mode == listener.Mode && old.FastPath != listener.FastPath)
                rejections.Add(new ConfigError($"{listener.Path}.fast-path",
                    $"cannot change while the listener keeps bind {listener.Bind} (the fast path sits in the socket's connection pipeline); change the bind too, or restart"));
        }

        // A new socket on an address that a listener going away still holds would fail to bind: that
        // listener drains first, and a reload does not wait for a drain.
        var leaving = running.Listeners
            .Where(l => !newListeners.TryGetValue(l.Name, out var n) || n.Bind != l.Bind)
            .Where(l => l.Bind.Port != 0)
            .ToList();
        foreach (var listener in next.Listeners)
        {
            var isNewSocket = !oldListeners.TryGetValue(listener.Name, out var old) || old.Bind != listener.Bind;
            if (!isNewSocket || listener.Bind.Port == 0) continue;
            if (leaving.FirstOrDefault(l => l.Bind == listener.Bind) is { } holder)
                rejections.Add(new ConfigError($"{listener.Path}.bind",
                    $"{listener.Bind} is still held by listener '{holder.Name}' until it drains; bind elsewhere, or reload in two steps"));
        }

        return new ConfigChanges
        {
            AddedPools = next.Pools.Where(p => !oldPools.ContainsKey(p.Name)).Select(p => p.Name).ToList(),
            RemovedPools = running.Pools.Where(p => !newPools.ContainsKey(p.Name)).Select(p => p.Name).ToList(),
            ChangedPools = changedPools,
            AddedListeners = next.Listeners.Where(l => !oldListeners.ContainsKey(l.Name)).Select(l => l.Name).ToList(),
            RemovedListeners = running.Listeners.Where(l => !newListeners.ContainsKey(l.Name)).Select(l => l.Name).ToList(),
            ChangedListeners = changedListeners,
            Rejections = rejections,
        };
    }

    private static void RejectRestartOnly(DroverConfig running, DroverConfig next, List<ConfigError> rejections)
    {
        if (running.Demo != next.Demo)
            rejections.Add(new ConfigError("drover.demo", "the demo backends start with the node; a change needs a restart"));
        if (running.Cmd != next.Cmd)
            rejections.Add(new ConfigError("drover.cmd", "the command host binds once at start; a change needs a restart"));
        if (running.Admin != next.Admin)
            rejections.Add(new ConfigError("drover.admin", "the admin endpoint binds once at start; a change needs a restart"));
        if (running.AccessLog != next.AccessLog)
            rejections.Add(new ConfigError("drover.access-log", "the access log opens once at start; a change needs a restart"));
        if (running.Io.Engine != next.Io.Engine)
            rejections.Add(new ConfigError(IoConfig.EnginePath, "the socket engine is chosen once at start; a change needs a restart"));
        if (running.Io.BusyPoll != next.Io.BusyPoll)
            rejections.Add(new ConfigError(IoConfig.BusyPollPath, "the event loops read it once at start; a change needs a restart"));
        if (running.Io.Splice != next.Io.Splice)
            rejections.Add(new ConfigError(IoConfig.SplicePath, "the listeners read it once at start; a change needs a restart"));
        if (running.Cluster != next.Cluster)
            rejections.Add(new ConfigError(ClusterConfig.SecretPath,
                "the cookie secret must be the same on every node; change it with a rolling restart"));
    }

    private static string Name(ListenerMode mode) => mode.ToString().ToLowerInvariant();
}

/// <summary>How one pool that stays differs: backends by id, and which pool-wide settings changed.</summary>
/// <param name="Replaced">Same id, new address: a new backend (no counters, health or connections carried over) and the old one drains.</param>
/// <param name="Reweighted">Same id and address, new weight: the backend keeps its counters, health and connections.</param>
/// <param name="StateChanged">The configured <c>state</c> changed: it applies now (an unchanged one leaves an operator's drain alone).</param>
/// <param name="Settings">Pool-wide settings that changed, by key: balance, hash-key, timeouts, health, retries, ...</param>
public sealed record PoolChange(
    string Name,
    IReadOnlyList<string> Added,
    IReadOnlyList<string> Removed,
    IReadOnlyList<string> Replaced,
    IReadOnlyList<string> Reweighted,
    IReadOnlyList<string> StateChanged,
    IReadOnlyList<string> Settings)
{
    public string Describe()
    {
        var parts = new List<string>();
        var backends = string.Join(" ", Added.Select(b => $"+{b}").Concat(Removed.Select(b => $"-{b}")).Concat(Replaced.Select(b => $"~{b}")));
        if (backends.Length > 0) parts.Add(backends);
        if (Reweighted.Count > 0) parts.Add("weights");
        if (StateChanged.Count > 0) parts.Add("state " + string.Join(" ", StateChanged));
        parts.AddRange(Settings);
        return string.Join(", ", parts);
    }

    public static PoolChange? Of(PoolConfig old, PoolConfig next)
    {
        var before = old.Backends.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var after = next.Backends.ToDictionary(b => b.Id, StringComparer.Ordinal);
        var added = next.Backends.Where(b => !before.ContainsKey(b.Id)).Select(b => b.Id).ToList();
        var removed = old.Backends.Where(b => !after.ContainsKey(b.Id)).Select(b => b.Id).ToList();
        var replaced = new List<string>();
        var reweighted = new List<string>();
        var state = new List<string>();
        foreach (var backend in next.Backends)
        {
            if (!before.TryGetValue(backend.Id, out var was)) continue;
            if (was.Address != backend.Address) replaced.Add(backend.Id);
            else if (was.Weight != backend.Weight) reweighted.Add(backend.Id);
            if (was.Address == backend.Address && was.State != backend.State) state.Add(backend.Id);
        }

        var settings = new List<string>();
        if (old.Balance != next.Balance) settings.Add("balance");
        if (old.HashKey != next.HashKey) settings.Add("hash-key");
        if (old.Timeouts != next.Timeouts) settings.Add("timeouts");
        if (old.Health != next.Health) settings.Add("health");
        if (old.Retries != next.Retries) settings.Add("retries");
        if (old.MaxConnections != next.MaxConnections) settings.Add("max-connections");
        if (old.Queue != next.Queue) settings.Add("queue");
        if (old.SlowStart != next.SlowStart) settings.Add("slow-start");
        if (old.AllUnhealthy != next.AllUnhealthy) settings.Add("all-unhealthy");
        if (old.Sticky != next.Sticky) settings.Add("sticky");
        // Whatever a future setting is, a difference is not lost: the records compare equal once the backends are set aside.
        if (settings.Count == 0 && old with { Backends = next.Backends } != next) settings.Add("settings");

        // Backend order matters too (consistent hashing does not, round robin's sequence does): a reorder alone is a change.
        var reordered = added.Count == 0 && removed.Count == 0 && !old.Backends.Select(b => b.Id).SequenceEqual(next.Backends.Select(b => b.Id));
        if (reordered) settings.Add("order");

        if (added.Count + removed.Count + replaced.Count + reweighted.Count + state.Count + settings.Count == 0) return null;
        return new PoolChange(next.Name, added, removed, replaced, reweighted, state, settings);
    }
}

/// <summary>How one listener that stays differs. <paramref name="Rebind"/>: a new socket (bind changed); else routes swap in place on the open socket.</summary>
public sealed record ListenerChange(string Name, bool Rebind, IReadOnlyList<string> What)
{
    public static ListenerChange? Of(ListenerConfig old, ListenerConfig next)
    {
        var what = new List<string>();
        if (old.Bind != next.Bind) what.Add("bind");
        if (old.Mode != next.Mode) what.Add("mode");
        if (old.FastPath != next.FastPath) what.Add("fast-path");
        if (!old.Routes.SequenceEqual(next.Routes, RouteComparer.Instance)) what.Add("routes");
        if (old.Pool != next.Pool) what.Add("pool");
        if (!old.SniRoutes.SequenceEqual(next.SniRoutes)) what.Add("sni-routes");
        if (old.InspectDelay != next.InspectDelay) what.Add("inspect-delay");
        if (what.Count == 0) return null;
        var rebind = old.Bind != next.Bind || old.Mode != next.Mode || old.FastPath != next.FastPath;
        return new ListenerChange(next.Name, rebind, what);
    }

    private sealed class RouteComparer : IEqualityComparer<RouteConfig>
    {
        public static readonly RouteComparer Instance = new();

        public bool Equals(RouteConfig? x, RouteConfig? y) =>
            x is not null && y is not null &&
            x.Host == y.Host && x.PathPrefix == y.PathPrefix && x.Pool == y.Pool && x.HeaderName == y.HeaderName &&
            x.HeaderValue == y.HeaderValue && (x.Methods ?? []).SequenceEqual(y.Methods ?? []);

        public int GetHashCode(RouteConfig obj) => HashCode.Combine(obj.Host, obj.PathPrefix, obj.Pool);
    }
}
