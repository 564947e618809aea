using Drover.Core.Balancing;
using Drover.Core.Configuration;

namespace Drover.Core.Pools;

/// <summary>
/// An immutable view of one pool that the data path reads without locks: the candidates that may
/// take new traffic, their effective weights, and a balancer built over them. The pool actor builds
/// a new snapshot on every change and swaps it in with one reference write.
/// </summary>
public sealed class PoolSnapshot
{
    private PoolSnapshot(PoolConfig config, long version, Backend[] backends, Backend[] candidates, int[] weights, IBalancer balancer,
        Backend?[] byOrdinal, bool[] keepsSessions)
    {
        _byOrdinal = byOrdinal;
        _keepsSessions = keepsSessions;
        Config = config;
        Version = version;
        Backends = backends;
        Candidates = candidates;
        Weights = weights;
        Balancer = balancer;
    }

    // Indexed by Backend.Ordinal, which is stable for a backend's life but not dense after a reload
    // removed backends (new ones get fresh ordinals), so not the position in Backends.
    private readonly Backend?[] _byOrdinal;
    private readonly bool[] _keepsSessions;

    public PoolConfig Config { get; }
    public string Name => Config.Name;
    public long Version { get; }

    /// <summary>Every configured backend, in config order.</summary>
    public Backend[] Backends { get; }

    /// <summary>Backends that may take new requests or connections now; <see cref="IBalancer.Pick"/> indexes this.</summary>
    public Backend[] Candidates { get; }

    /// <summary>Effective weight of each candidate.</summary>
    public int[] Weights { get; }

    public IBalancer Balancer { get; private set; }

    private int[]? _baseWeights;

    /// <summary>
    /// Each configured backend's base weight, in <see cref="Backends"/> order: the configured weight, or
    /// the one set at run time with <c>lb weight</c>; the effective weights start from it, and
    /// consistent hashing (of the pool, and of sticky sessions' proposals) weighs with it.
    /// </summary>
    public int[] BaseWeights => _baseWeights ??= Backends.Select(b => b.ConfiguredWeight).ToArray();

    public bool NeedsHash => Config.Balance == BalanceMode.ConsistentHash;

    /// <summary>
    /// Whether <paramref name="backend"/> may keep serving what is already bound to it (sticky
    /// sessions): healthy and not in maint. A draining backend keeps its sessions though it takes no
    /// new ones, so this is wider than <see cref="Candidates"/>.
    /// </summary>
    public bool KeepsSessions(Backend backend) =>
        backend.Ordinal < _keepsSessions.Length && ReferenceEquals(_byOrdinal[backend.Ordinal], backend) && _keepsSessions[backend.Ordinal];

    /// <summary>The configured backend with this id, or null.</summary>
    public Backend? Find(string id)
    {
        foreach (var backend in Backends)
            if (string.Equals(backend.Id, id, StringComparison.Ordinal)) return backend;
        return null;
    }

    /// <summary>
    /// Builds a snapshot. <paramref name="effectiveWeight"/> decides which backends take new traffic
    /// (weight above zero) and how much; <paramref name="keepsSessions"/> which may keep traffic already
    /// bound to them (default: the candidates).
    /// </summary>
    public static PoolSnapshot Build(PoolConfig config, long version, Backend[] backends, Func<Backend, int> effectiveWeight,
        Func<Backend, bool>? keepsSessions = null)
    {
        var candidates = new List<Backend>(backends.Length);
        var weights = new List<int>(backends.Length);
        foreach (var backend in backends)
        {
            var weight = effectiveWeight(backend);
            if (weight <= 0) continue;
            candidates.Add(backend);
            weights.Add(weight);
        }

        var candidateArray = candidates.ToArray();
        IBalancer balancer = config.Balance switch
        {
            BalanceMode.RoundRobin => new RoundRobinBalancer(weights),
            BalanceMode.LeastConnections => new LeastConnectionsBalancer(candidateArray, weights),
            BalanceMode.Random => new RandomBalancer(weights),
            BalanceMode.PowerOfTwo => new PowerOfTwoBalancer(candidateArray, weights),
            BalanceMode.ConsistentHash => new ConsistentHashBalancer(backends, candidateArray),
            BalanceMode.LeastResponseTime => new LeastResponseTimeBalancer(candidateArray, weights),
            _ => throw new ArgumentOutOfRangeException(nameof(config), config.Balance, "unknown balance mode"),
        };
        var slots = 0;
        foreach (var backend in backends) slots = Math.Max(slots, backend.Ordinal + 1);
        var byOrdinal = new Backend?[slots];
        var keeps = new bool[slots];
        foreach (var backend in backends)
        {
            if (byOrdinal[backend.Ordinal] is not null) continue; // a hand-built pool without ordinals: the first one holds the slot
            byOrdinal[backend.Ordinal] = backend;
            keeps[backend.Ordinal] = keepsSessions?.Invoke(backend) ?? candidates.Contains(backend);
        }
        return new PoolSnapshot(config, version, backends, candidateArray, weights.ToArray(), balancer, byOrdinal, keeps);
    }

    /// <summary>
    /// <see cref="Build(PoolConfig, long, Backend[], Func{Backend, int}, Func{Backend, bool}?)"/> with base weights
    /// other than the configured ones (weights set at run time): consistent hashing is built over them,
    /// so every node that has the same base weights maps keys the same way.
    /// </summary>
    public static PoolSnapshot Build(PoolConfig config, long version, Backend[] backends, Func<Backend, int> effectiveWeight,
        Func<Backend, bool>? keepsSessions, Func<Backend, int> baseWeight)
    {
        var snapshot = Build(config, version, backends, effectiveWeight, keepsSessions);
        snapshot._baseWeights = backends.Select(baseWeight).ToArray();
        if (snapshot.Balancer is ConsistentHashBalancer)
            snapshot.Balancer = new ConsistentHashBalancer(backends, snapshot.Candidates, snapshot._baseWeights);
        return snapshot;
    }

    public override string ToString() => $"pool {Name} v{Version}: {Candidates.Length}/{Backends.Length} candidates";
}
