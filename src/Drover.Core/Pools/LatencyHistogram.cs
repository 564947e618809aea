using System.Diagnostics;

namespace Drover.Core.Pools;

/// <summary>
/// Fixed-bucket latency counts that the data path fills with two <see cref="Interlocked"/> adds and
/// no allocation: per bucket, how many samples and the sum of their ticks. A reader (the metrics
/// scrape) turns them into a Prometheus histogram; keeping the sum per bucket lets it replay each
/// bucket's new samples as their mean, which lies inside that bucket, so counts and sum stay exact.
/// </summary>
public sealed class LatencyHistogram
{
    /// <summary>Upper bounds (inclusive, Prometheus' <c>le</c>) in seconds; a last bucket takes everything above.</summary>
    public static readonly IReadOnlyList<double> BoundsSeconds = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

    /// <summary>The bounds in <see cref="Stopwatch"/> ticks, for the data path's comparisons.</summary>
    public static readonly long[] BoundsTicks = BoundsSeconds.Select(s => (long)Math.Round(s * Stopwatch.Frequency)).ToArray();

    /// <summary>Buckets including the last, unbounded one.</summary>
    public static int BucketCount => BoundsTicks.Length + 1;

    private readonly long[] _counts = new long[BoundsTicks.Length + 1];
    private readonly long[] _sumTicks = new long[BoundsTicks.Length + 1];

    public void Record(long elapsedTicks)
    {
        var bucket = BucketOf(elapsedTicks);
        Interlocked.Add(ref _sumTicks[bucket], elapsedTicks);
        Interlocked.Increment(ref _counts[bucket]);
    }

    /// <summary>The bucket of a sample: the first whose bound is at least it (a linear scan: most samples stop early).</summary>
    public static int BucketOf(long elapsedTicks)
    {
        var bounds = BoundsTicks;
        var i = 0;
        while (i < bounds.Length && elapsedTicks > bounds[i]) i++;
        return i;
    }

    public long Count(int bucket) => Volatile.Read(ref _counts[bucket]);

    /// <summary>The sum of the samples in <paramref name="bucket"/>, in Stopwatch ticks (added before the count, so it never lags it).</summary>
    public long SumTicks(int bucket) => Volatile.Read(ref _sumTicks[bucket]);

    public long TotalCount
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _counts.Length; i++) total += Count(i);
            return total;
        }
    }
}
