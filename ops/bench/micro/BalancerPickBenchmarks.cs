using BenchmarkDotNet.Attributes;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Core.Pools;

namespace Drover.Bench.Micro;

/// <summary>
/// <see cref="IBalancer.Pick"/> for every balance mode, through the interface as the data path
/// calls it, over a snapshot built by <see cref="PoolSnapshot.Build"/>. Each invocation does
/// <see cref="PicksPerInvoke"/> picks with a different request hash each (only consistent-hash
/// reads it), so the figures are per pick. Backends carry uneven live load and latency so the
/// least-* and power-of-two comparisons do real work. Target: 0 B allocated.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(MicroConfig))]
public class BalancerPickBenchmarks
{
    private const int PicksPerInvoke = 1024;

    private IBalancer _balancer = null!;
    private ulong[] _hashes = null!;

    [ParamsAllValues]
    public BalanceMode Mode { get; set; }

    [Params(3, 16)]
    public int Backends { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var configs = Enumerable.Range(0, Backends)
            .Select(i => new BackendConfig($"b{i}", new HostPort("127.0.0.1", 9000 + i), Weight: 1))
            .ToArray();
        var backends = configs.Select(c => new Backend("bench", c)).ToArray();

        var random = new Random(42);
        foreach (var backend in backends)
        {
            // Uneven in-flight counts and latency EWMAs (as Stopwatch ticks: 0.1-5 ms at 1 GHz or more).
            for (var k = random.Next(0, 20); k > 0; k--) backend.OnStart();
            backend.RecordLatency(random.Next(100_000, 5_000_000));
        }

        var pool = new PoolConfig("bench", Mode, HashKey.ClientIp, configs, TimeoutsConfig.Default);
        _balancer = PoolSnapshot.Build(pool, 1, backends, b => b.ConfiguredWeight).Balancer;

        _hashes = new ulong[PicksPerInvoke];
        for (var i = 0; i < _hashes.Length; i++) _hashes[i] = (ulong)random.NextInt64(long.MinValue, long.MaxValue);
    }

    [Benchmark(OperationsPerInvoke = PicksPerInvoke)]
    public int Pick()
    {
        var balancer = _balancer;
        var hashes = _hashes;
        var sum = 0;
        for (var i = 0; i < hashes.Length; i++)
            sum += balancer.Pick(new PickContext(hashes[i]));
        return sum;
    }
}
