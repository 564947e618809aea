using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class PowerOfTwoBalancerTests
{
    private const int Picks = 30_000;
    private const int InFlight = 90;

    [Fact]
    public void EqualWeights_UnderLoad_EachBackendGetsAThird()
    {
        var counts = TestPools.CountPicksUnderLoad(TestPools.Snapshot(BalanceMode.PowerOfTwo, 1, 1, 1), Picks, InFlight);

        TestPools.AssertShares(TestPools.ExpectedShares(1, 1, 1), counts, 0.015);
    }

    [Fact]
    public void EqualWeights_Idle_DrawsAreUniform()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.PowerOfTwo, 1, 1, 1), Picks);

        TestPools.AssertShares(TestPools.ExpectedShares(1, 1, 1), counts, 0.015);
    }

    [Fact]
    public void Weights_531_UnderLoad_SharesFollowWeights()
    {
        var counts = TestPools.CountPicksUnderLoad(TestPools.Snapshot(BalanceMode.PowerOfTwo, 5, 3, 1), Picks, InFlight);

        TestPools.AssertShares(TestPools.ExpectedShares(5, 3, 1), counts, 0.015);
    }

    [Fact]
    public void TwoCandidates_AlwaysComparesBoth_AndTakesTheLessLoaded()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.PowerOfTwo, 1, 1);
        for (var i = 0; i < 5; i++) snapshot.Candidates[0].OnStart();

        for (var i = 0; i < 1_000; i++) Assert.Equal(1, snapshot.Balancer.Pick(PickContext.None));
    }

    [Fact]
    public void SingleCandidate_ReturnsItUnlessExcluded()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.PowerOfTwo, 3);

        Assert.Equal(0, snapshot.Balancer.Pick(PickContext.None));
        Assert.Equal(-1, snapshot.Balancer.Pick(PickContext.None.Exclude(0)));
    }
}
