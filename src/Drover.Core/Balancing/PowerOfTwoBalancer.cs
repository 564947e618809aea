using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>
/// Power of two choices: draw two candidates by weight, send to the one with less active load per
/// unit of weight. Nearly as good as least-connections without scanning every backend.
/// </summary>
public sealed class PowerOfTwoBalancer : IBalancer
{
    private readonly Backend[] _candidates;
    private readonly int[] _weights;
    private readonly long[] _cumulative;

    public PowerOfTwoBalancer(Backend[] candidates, IReadOnlyList<int> weights)
    {
        _candidates = candidates;
        _weights = WeightedCandidates.AtLeastOne(weights);
        _cumulative = WeightedCandidates.Cumulative(_weights);
    }

    public int Pick(in PickContext context)
    {
        var n = _candidates.Length;
        if (n == 0) return -1;
        if (n == 1) return context.IsExcluded(0) ? -1 : 0;

        var a = WeightedCandidates.WeightedRandom(_cumulative);
        var b = WeightedCandidates.WeightedRandom(_cumulative);
        if (a == b) b = (a + 1 + Random.Shared.Next(n - 1)) % n;
        var aOut = context.IsExcluded(a);
        var bOut = context.IsExcluded(b);
        if (aOut && bOut)
            return WeightedCandidates.LeastLoaded<LeastConnectionsBalancer.ActiveLoad>(_candidates, _weights, context, Random.Shared.Next(n));
        if (aOut) return b;
        if (bOut) return a;

        var loadA = (Int128)(_candidates[a].Active + 1) * _weights[b];
        var loadB = (Int128)(_candidates[b].Active + 1) * _weights[a];
        return loadA <= loadB ? a : b;
    }
}
