using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>The candidate with the fewest active requests or connections per unit of weight.</summary>
public sealed class LeastConnectionsBalancer(Backend[] candidates, IReadOnlyList<int> weights) : IBalancer
{
    private readonly int[] _weights = WeightedCandidates.AtLeastOne(weights);
    private int _rotation;

    public int Pick(in PickContext context)
    {
        if (candidates.Length == 0) return -1;
        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)candidates.Length);
        return WeightedCandidates.LeastLoaded<ActiveLoad>(candidates, _weights, context, start);
    }

    /// <summary>+1 so an idle heavy backend still beats an idle light one by weight.</summary>
    internal readonly struct ActiveLoad : ILoadMetric
    {
        public static long Of(Backend backend) => backend.Active + 1;
    }
}
