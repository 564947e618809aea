using System.Diagnostics;
using Drover.Core.Pools;

namespace Drover.Core.Tests.Pools;

public sealed class LatencyHistogramTests
{
    private static long Ticks(double seconds) => (long)Math.Round(seconds * Stopwatch.Frequency);

    [Fact]
    public void A_sample_on_a_bound_belongs_to_that_bucket_and_one_tick_more_to_the_next()
    {
        var bounds = LatencyHistogram.BoundsSeconds;
        for (var i = 0; i < bounds.Count; i++)
        {
            Assert.Equal(i, LatencyHistogram.BucketOf(Ticks(bounds[i])));
            Assert.Equal(i + 1, LatencyHistogram.BucketOf(Ticks(bounds[i]) + 1));
        }
        Assert.Equal(0, LatencyHistogram.BucketOf(1));
        Assert.Equal(bounds.Count, LatencyHistogram.BucketOf(Ticks(3600)));
        Assert.Equal(bounds.Count + 1, LatencyHistogram.BucketCount);
    }

    [Fact]
    public void Bounds_rise_strictly()
    {
        var bounds = LatencyHistogram.BoundsSeconds;
        for (var i = 1; i < bounds.Count; i++) Assert.True(bounds[i] > bounds[i - 1]);
    }

    [Fact]
    public void Counts_and_sums_are_exact_under_concurrent_recording()
    {
        var histogram = new LatencyHistogram();
        var samples = new[] { Ticks(0.0001), Ticks(0.003), Ticks(0.2), Ticks(20) };
        Parallel.For(0, 8, _ =>
        {
            for (var i = 0; i < 10_000; i++) histogram.Record(samples[i % samples.Length]);
        });
        Assert.Equal(80_000, histogram.TotalCount);
        foreach (var sample in samples)
        {
            var bucket = LatencyHistogram.BucketOf(sample);
            Assert.Equal(20_000, histogram.Count(bucket));
            Assert.Equal(20_000 * sample, histogram.SumTicks(bucket));
        }
    }

    [Fact]
    public void A_backend_records_its_latency_samples_and_counts_statuses_by_class()
    {
        var backend = new Backend("p", new Drover.Core.Configuration.BackendConfig("b1", new Drover.Core.Net.HostPort("127.0.0.1", 1)));
        backend.RecordLatency(Ticks(0.004));
        backend.RecordLatency(0); // clamped to one tick, as the EWMA does
        Assert.Equal(2, backend.Latency.TotalCount);
        Assert.Equal(1, backend.Latency.Count(LatencyHistogram.BucketOf(Ticks(0.004))));
        Assert.Equal(1, backend.Latency.Count(0));

        foreach (var status in new[] { 101, 200, 204, 302, 404, 499, 500, 503, 599, 600, 0, -1 }) backend.CountStatus(status);
        Assert.Equal([1L, 2, 1, 2, 3, 3], Enumerable.Range(0, StatusClass.Count).Select(backend.StatusCount));
    }

    [Theory]
    [InlineData(100, "1xx")]
    [InlineData(199, "1xx")]
    [InlineData(200, "2xx")]
    [InlineData(399, "3xx")]
    [InlineData(404, "4xx")]
    [InlineData(599, "5xx")]
    [InlineData(99, "other")]
    [InlineData(600, "other")]
    [InlineData(int.MinValue, "other")]
    [InlineData(int.MaxValue, "other")]
    public void Status_classes(int status, string name) => Assert.Equal(name, StatusClass.Name(StatusClass.Index(status)));
}
