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
    private PoolSnapshot(PoolConfig config, long version, Backend[] backends, Backend[] candidates, int[] weights, IBalancer balancer)
    {
        Config = config;
        Version = version;
        Backends = backends;
        Candidates = candidates;
        Weights = weights;
        Balancer = balancer;
    }

    public PoolConfig Config { get; }
    public string Name => Config.Name;
    public long Version { get; }

    /// <summary>Every configured backend, in config order.</summary>
    public Backend[] Backends { get; }

    /// <summary>Backends that may take new requests or connections now; <see cref="IBalancer.Pick"/> indexes this.</summary>
    public Backend[] Candidates { get; }

    /// <summary>Effective weight of each candidate.</summary>
    public int[] Weights { get; }

    public IBalancer Balancer { get; }

    public bool NeedsHash => Config.Balance == BalanceMode.ConsistentHash;

    /// <summary>
    /// Builds a snapshot. <paramref name="isCandidate"/> decides which backends take new traffic
    /// (weight above zero and whatever the caller's health and admin state say).
    /// </summary>
    public static PoolSnapshot Build(PoolConfig config, long version, Backend[] backends, Func<Backend, int> effectiveWeight)
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
        return new PoolSnapshot(config, version, backends, candidateArray, weights.ToArray(), balancer);
    }

    public override string ToString() => $"pool {Name} v{Version}: {Candidates.Length}/{Backends.Length} candidates";
}
