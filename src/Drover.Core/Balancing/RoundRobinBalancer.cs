namespace Drover.Core.Balancing;

/// <summary>
/// Weighted round robin. The order is precomputed with nginx's smooth weighted algorithm (weights
/// 5,1,1 give a,a,b,a,c,a,a rather than a,a,a,a,a,b,c), so a pick is one interlocked increment and
/// an array read.
/// </summary>
public sealed class RoundRobinBalancer : IBalancer
{
    /// <summary>Longer schedules are scaled down; proportions stay within rounding.</summary>
    public const int MaxScheduleLength = 4096;

    private readonly int[] _schedule;
    private readonly int _count;
    private long _cursor = -1;

    public RoundRobinBalancer(IReadOnlyList<int> weights)
    {
        _count = weights.Count;
        _schedule = _count == 0 ? [] : BuildSchedule(WeightedCandidates.AtLeastOne(weights));
    }

    public int Pick(in PickContext context)
    {
        if (_count == 0) return -1;
        var position = (ulong)Interlocked.Increment(ref _cursor);
        var first = _schedule[(int)(position % (ulong)_schedule.Length)];
        if (!context.IsExcluded(first)) return first;
        // Retry path: walk the schedule from here so the next pick stays weighted.
        for (var k = 1; k < _schedule.Length; k++)
        {
            var i = _schedule[(int)((position + (ulong)k) % (ulong)_schedule.Length)];
            if (!context.IsExcluded(i)) return i;
        }
        return WeightedCandidates.FirstNotExcluded(_count, context, 0);
    }

    internal static int[] BuildSchedule(int[] weights)
    {
        var gcd = weights.Aggregate(0, Gcd);
        var reduced = weights.Select(w => w / gcd).ToArray();
        long total = reduced.Sum(w => (long)w);
        if (total > MaxScheduleLength)
        {
            var scale = (double)MaxScheduleLength / total;
            reduced = reduced.Select(w => Math.Max(1, (int)Math.Round(w * scale))).ToArray();
            total = reduced.Sum(w => (long)w);
        }

        var schedule = new int[total];
        var current = new long[reduced.Length];
        for (var slot = 0; slot < schedule.Length; slot++)
        {
            var best = 0;
            for (var i = 0; i < reduced.Length; i++)
            {
                current[i] += reduced[i];
                if (current[i] > current[best]) best = i;
            }
            current[best] -= total;
            schedule[slot] = best;
        }
        return schedule;
    }

    private static int Gcd(int a, int b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return a;
    }
}
