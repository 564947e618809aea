using Drover.Core.Balancing;
using Drover.Core.Pools;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class LeastResponseTimeBalancerTests
{
    private const int Picks = 30_000;
    private const int InFlight = 90;

    [Fact]
    public void EqualWeights_EqualLatency_UnderLoad_EachBackendGetsAThird()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.LeastResponseTime, 1, 1, 1);
        var latency = WithLatencies(snapshot, 2, 2, 2);

        var counts = TestPools.CountPicksUnderLoad(snapshot, Picks, InFlight, latency);

        TestPools.AssertShares(TestPools.ExpectedShares(1, 1, 1), counts, 0.005);
    }

    [Fact]
    public void Weights_531_EqualLatency_UnderLoad_SharesFollowWeights()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.LeastResponseTime, 5, 3, 1);
        var latency = WithLatencies(snapshot, 2, 2, 2);

        var counts = TestPools.CountPicksUnderLoad(snapshot, Picks, InFlight, latency);

        TestPools.AssertShares(TestPools.ExpectedShares(5, 3, 1), counts, 0.015);
    }

    [Fact]
    public void SlowerBackend_GetsLessTraffic_InProportionToItsLatency()
    {
        // Equal weights, b3 three times slower. Expected wait latency x (active + 1) is evened out
        // when b3 holds a third of the requests each of the others holds: shares 3/7, 3/7, 1/7.
        var snapshot = TestPools.Snapshot(BalanceMode.LeastResponseTime, 1, 1, 1);
        var latency = WithLatencies(snapshot, 1, 1, 3);

        var counts = TestPools.CountPicksUnderLoad(snapshot, Picks, 300, latency);

        TestPools.AssertShares([3 / 7.0, 3 / 7.0, 1 / 7.0], counts, 0.015);
    }

    [Fact]
    public void BackendWithoutSample_IsTriedFirst()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.LeastResponseTime, 1, 1, 1);
        snapshot.Candidates[0].RecordLatency(TestPools.Millis(5));
        snapshot.Candidates[1].RecordLatency(TestPools.Millis(5));

        Assert.Equal(TimeSpan.Zero, snapshot.Candidates[2].LatencyEwma);
        Assert.Equal(2, snapshot.Balancer.Pick(PickContext.None));
    }

    [Fact]
    public void RecordLatency_IsAnEwmaWithWeightOneEighth()
    {
        var backend = TestPools.Backends("p", 1)[0];

        backend.RecordLatency(800);
        Assert.Equal(800, backend.LatencyEwmaTicks);
        backend.RecordLatency(1_600);
        Assert.Equal(900, backend.LatencyEwmaTicks);
        backend.RecordLatency(0); // clamped to 1 tick, never "no sample"
        Assert.Equal(900 + ((1 - 900) >> 3), backend.LatencyEwmaTicks);
    }

    /// <summary>Gives each candidate a latency in milliseconds and returns the "request ended" hook that keeps feeding it.</summary>
    private static Action<Backend> WithLatencies(PoolSnapshot snapshot, params double[] millis)
    {
        var ticks = snapshot.Candidates.Select((b, i) => (b, TestPools.Millis(millis[i]))).ToDictionary(x => x.b, x => x.Item2);
        foreach (var (backend, t) in ticks) backend.RecordLatency(t);
        return backend => backend.RecordLatency(ticks[backend]);
    }
}
