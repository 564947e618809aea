namespace Drover.Core.Balancing;

/// <summary>Weighted random: each candidate is chosen with probability weight / total.</summary>
public sealed class RandomBalancer : IBalancer
{
    private readonly long[] _cumulative;

    public RandomBalancer(IReadOnlyList<int> weights) =>
        _cumulative = WeightedCandidates.Cumulative(WeightedCandidates.AtLeastOne(weights));

    public int Pick(in PickContext context)
    {
        if (_cumulative.Length == 0) return -1;
        var pick = WeightedCandidates.WeightedRandom(_cumulative);
        if (!context.IsExcluded(pick)) return pick;
        // A retry: a few more draws keep it weighted; then take any candidate left.
        for (var attempt = 0; attempt < 4; attempt++)
        {
            pick = WeightedCandidates.WeightedRandom(_cumulative);
            if (!context.IsExcluded(pick)) return pick;
        }
        return WeightedCandidates.FirstNotExcluded(_cumulative.Length, context, Random.Shared.Next(_cumulative.Length));
    }
}
