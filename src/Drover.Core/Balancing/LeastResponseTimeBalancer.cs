using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>
/// The candidate with the lowest expected wait: latency EWMA x (active + 1), per unit of weight.
/// A backend with no sample yet scores best, so new and recovered backends get measured.
/// </summary>
public sealed class LeastResponseTimeBalancer(Backend[] candidates, IReadOnlyList<int> weights) : IBalancer
{
    private readonly int[] _weights = WeightedCandidates.AtLeastOne(weights);
    private int _rotation;

    public int Pick(in PickContext context)
    {
        if (candidates.Length == 0) return -1;
        var start = (int)((uint)Interlocked.Increment(ref _rotation) % (uint)candidates.Length);
        return WeightedCandidates.LeastLoaded<ExpectedWait>(candidates, _weights, context, start);
    }

    private readonly struct ExpectedWait : ILoadMetric
    {
        // Latency in microseconds keeps the product far from overflow; 1 for "no sample yet".
        public static long Of(Backend backend) =>
            Math.Max(1, (long)backend.LatencyEwma.TotalMicroseconds) * (backend.Active + 1);
    }
}
