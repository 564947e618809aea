using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>Shared helpers for the balancers: weights, cumulative weights, and the exclusion-aware scan.</summary>
internal static class WeightedCandidates
{
    public static int[] AtLeastOne(IReadOnlyList<int> weights)
    {
        var result = new int[weights.Count];
        for (var i = 0; i < result.Length; i++) result[i] = Math.Max(1, weights[i]);
        return result;
    }

    public static long[] Cumulative(int[] weights)
    {
        var cumulative = new long[weights.Length];
        long sum = 0;
        for (var i = 0; i < weights.Length; i++)
        {
            sum += weights[i];
            cumulative[i] = sum;
        }
        return cumulative;
    }

    /// <summary>Weighted random index: binary search of a uniform draw in the cumulative weights.</summary>
    public static int WeightedRandom(long[] cumulative)
    {
        var total = cumulative[^1];
        var draw = Random.Shared.NextInt64(total);
        var lo = 0;
        var hi = cumulative.Length - 1;
        while (lo < hi)
        {
            var mid = (lo + hi) >>> 1;
            if (cumulative[mid] > draw) hi = mid;
            else lo = mid + 1;
        }
        return lo;
    }

    /// <summary>
    /// The candidate with the lowest <c>load / weight</c>, compared by cross-multiplication (no division),
    /// starting the scan at <paramref name="start"/> so ties rotate instead of piling on the first.
    /// </summary>
    public static int LeastLoaded<TLoad>(Backend[] candidates, int[] weights, in PickContext context, int start)
        where TLoad : ILoadMetric
    {
        var n = candidates.Length;
        var best = -1;
        long bestLoad = 0;
        for (var k = 0; k < n; k++)
        {
            var i = start + k;
            if (i >= n) i -= n;
            if (context.IsExcluded(i)) continue;
            var l = TLoad.Of(candidates[i]);
            if (best < 0 || (Int128)l * weights[best] < (Int128)bestLoad * weights[i])
            {
                best = i;
                bestLoad = l;
            }
        }
        return best;
    }

    public static int FirstNotExcluded(int count, in PickContext context, int start)
    {
        for (var k = 0; k < count; k++)
        {
            var i = (start + k) % count;
            if (!context.IsExcluded(i)) return i;
        }
        return -1;
    }
}

/// <summary>A load figure for <see cref="WeightedCandidates.LeastLoaded{TLoad}"/>; static so the scan inlines it.</summary>
internal interface ILoadMetric
{
    static abstract long Of(Backend backend);
}
