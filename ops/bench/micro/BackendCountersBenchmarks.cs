using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Core.Pools;

namespace Drover.Bench.Micro;

/// <summary>
/// What the metrics cost the data path per response: <see cref="Backend.CountStatus"/> (one
/// <c>Interlocked.Increment</c> in a status-class slot) and <see cref="Backend.RecordLatency"/> (the
/// EWMA the balancers read plus the latency histogram's bucket scan and two <c>Interlocked</c> adds),
/// with <see cref="LatencyHistogram.Record"/> alone for comparison. Latencies vary from 0.1 ms to
/// 50 ms so the bucket scan stops at different bounds. Figures are per call, single-threaded (no
/// contention). Target: 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class BackendCountersBenchmarks
{
    private const int CallsPerInvoke = 1024;

    private Backend _backend = null!;
    private LatencyHistogram _histogram = null!;
    private long[] _ticks = null!;
    private int[] _statuses = null!;

    [GlobalSetup]
    public void Setup()
    {
        _backend = new Backend("bench", new BackendConfig("b1", new HostPort("127.0.0.1", 9001), Weight: 1));
        _histogram = new LatencyHistogram();
        var random = new Random(42);
        _ticks = Enumerable.Range(0, CallsPerInvoke).Select(_ => (long)(random.Next(100, 50_000) * (Stopwatch.Frequency / 1_000_000.0))).ToArray();
        _statuses = Enumerable.Range(0, CallsPerInvoke).Select(i => i % 50 == 0 ? 503 : 200).ToArray();
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public long CountStatus()
    {
        var statuses = _statuses;
        for (var i = 0; i < statuses.Length; i++) _backend.CountStatus(statuses[i]);
        return _backend.StatusCount(1);
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public long HistogramRecord()
    {
        var ticks = _ticks;
        for (var i = 0; i < ticks.Length; i++) _histogram.Record(ticks[i]);
        return _histogram.Count(0);
    }

    [Benchmark(OperationsPerInvoke = CallsPerInvoke)]
    public long RecordLatency()
    {
        var ticks = _ticks;
        for (var i = 0; i < ticks.Length; i++) _backend.RecordLatency(ticks[i]);
        return _backend.LatencyEwmaTicks;
    }
}
