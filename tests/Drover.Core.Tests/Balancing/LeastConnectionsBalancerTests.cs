using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class LeastConnectionsBalancerTests
{
    private const int Picks = 30_000;
    private const int InFlight = 90;

    [Fact]
    public void EqualWeights_UnderLoad_EachBackendGetsAThird()
    {
        var counts = TestPools.CountPicksUnderLoad(TestPools.Snapshot(BalanceMode.LeastConnections, 1, 1, 1), Picks, InFlight);

        TestPools.AssertShares(TestPools.ExpectedShares(1, 1, 1), counts, 0.005);
    }

    [Fact]
    public void EqualWeights_Idle_TiesRotateInsteadOfPilingOnTheFirst()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.LeastConnections, 1, 1, 1), Picks);

        Assert.Equal([10_000, 10_000, 10_000], counts);
    }

    [Fact]
    public void Weights_531_UnderLoad_SharesFollowWeights()
    {
        // With 90 requests held open, least (active + 1) / weight keeps about 50 / 30 / 10 of them on
        // b1 / b2 / b3; a backend's share of picks is its average share of the open requests.
        var counts = TestPools.CountPicksUnderLoad(TestPools.Snapshot(BalanceMode.LeastConnections, 5, 3, 1), Picks, InFlight);

        TestPools.AssertShares(TestPools.ExpectedShares(5, 3, 1), counts, 0.015);
    }

    [Fact]
    public void PicksTheBackendWithFewestActive()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.LeastConnections, 1, 1, 1);
        Hold(snapshot.Candidates[0], 3);
        Hold(snapshot.Candidates[2], 1);

        for (var i = 0; i < 10; i++) Assert.Equal(1, snapshot.Balancer.Pick(PickContext.None));
    }

    [Fact]
    public void ComparesActivePerUnitOfWeight()
    {
        // b1 (weight 4) with 6 active: (6+1)/4 = 1.75; b2 (weight 1) with 1 active: (1+1)/1 = 2.
        var snapshot = TestPools.Snapshot(BalanceMode.LeastConnections, 4, 1);
        Hold(snapshot.Candidates[0], 6);
        Hold(snapshot.Candidates[1], 1);

        for (var i = 0; i < 4; i++) Assert.Equal(0, snapshot.Balancer.Pick(PickContext.None));

        // Two more on b1: (8+1)/4 = 2.25 is now worse than b2's 2.
        Hold(snapshot.Candidates[0], 2);
        for (var i = 0; i < 4; i++) Assert.Equal(1, snapshot.Balancer.Pick(PickContext.None));
    }

    [Fact]
    public void Idle_HeavierBackendWins()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.LeastConnections, 1, 5, 3);

        for (var i = 0; i < 10; i++) Assert.Equal(1, snapshot.Balancer.Pick(PickContext.None));
    }

    private static void Hold(Drover.Core.Pools.Backend backend, int requests)
    {
        for (var i = 0; i < requests; i++) backend.OnStart();
    }
}
