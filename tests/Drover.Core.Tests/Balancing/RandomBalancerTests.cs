using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class RandomBalancerTests
{
    // 30,000 draws: one standard deviation of a share is under 0.003, so 0.015 is five of them.
    private const int Picks = 30_000;
    private const double Tolerance = 0.015;

    [Fact]
    public void EqualWeights_EachBackendGetsAThird()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.Random, 1, 1, 1), Picks);

        TestPools.AssertShares(TestPools.ExpectedShares(1, 1, 1), counts, Tolerance);
    }

    [Fact]
    public void Weights_531_SharesFollowWeights()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.Random, 5, 3, 1), Picks);

        TestPools.AssertShares(TestPools.ExpectedShares(5, 3, 1), counts, Tolerance);
    }

    [Fact]
    public void ExcludedHeavyBackend_RetriesStillReachEveryOther()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.Random, 100, 1, 1);
        var context = PickContext.None.Exclude(0);
        var counts = new int[3];

        for (var i = 0; i < 3_000; i++) counts[snapshot.Balancer.Pick(context)]++;

        // Retries fall back to "any candidate left" once the weighted redraws keep hitting the
        // excluded one, so the two light backends are not exactly even here; each still gets a good part.
        Assert.Equal(0, counts[0]);
        Assert.True(counts[1] > 500 && counts[2] > 500, $"counts {string.Join(", ", counts)}");
    }
}
