using Drover.Core.Balancing;
using Drover.Core.Pools;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class ConsistentHashBalancerTests
{
    private const int Keys = 20_000;

    // Rendezvous shares are exact in expectation; over 30,000 keys they are within about 1.5 points.
    private const double RingTolerance = 0.02;

    [Fact]
    public void EqualWeights_KeysSpreadEvenly()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.ConsistentHash, 1, 1, 1), 30_000);

        TestPools.AssertShares(TestPools.ExpectedShares(1, 1, 1), counts, RingTolerance);
    }

    [Fact]
    public void Weights_531_KeysFollowWeights()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.ConsistentHash, 5, 3, 1), 30_000);

        TestPools.AssertShares(TestPools.ExpectedShares(5, 3, 1), counts, RingTolerance);
    }

    [Fact]
    public void BaseWeights_SetAtRunTime_ReplaceTheConfiguredOnes()
    {
        // Configured 1:1:1, base (lb weight) 5:3:1: keys follow the base weights, as on every node that has them.
        var backends = TestPools.Backends("p", 1, 1, 1);
        var set = new Dictionary<string, int> { ["b1"] = 5, ["b2"] = 3, ["b3"] = 1 };
        var snapshot = PoolSnapshot.Build(TestPools.Config("p", BalanceMode.ConsistentHash, backends), 1, backends, b => set[b.Id], null,
            b => set[b.Id]);

        Assert.Equal([5, 3, 1], snapshot.BaseWeights);
        TestPools.AssertShares(TestPools.ExpectedShares(5, 3, 1), TestPools.CountPicks(snapshot, 30_000), RingTolerance);
    }

    [Fact]
    public void SameHash_AlwaysSameBackend_AcrossPicksAndSnapshots()
    {
        var first = TestPools.Snapshot(BalanceMode.ConsistentHash, 1, 1, 1, 1);
        var second = TestPools.Snapshot(BalanceMode.ConsistentHash, 1, 1, 1, 1); // new Backend objects, as on another node
        var owners = Owners(first, Keys);

        Assert.True(owners.Distinct().Count() == 4, "keys should reach every backend");
        // Again, in reverse order (so other picks come in between), and on the independently built snapshot.
        for (var i = Keys - 1; i >= 0; i--)
        {
            Assert.Equal(owners[i], OwnerOf(first, i));
            Assert.Equal(owners[i], OwnerOf(second, i));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)] // heavy weights must not change which keys move (a ring sized by total weight would)
    public void RemovingOneOfFive_MovesOnlyItsKeys_AboutOneFifth_SpreadOverTheRest(int weight)
    {
        var all = TestPools.Backends("p", weight, weight, weight, weight, weight);
        var remaining = all.Where(b => b.Id != "b3").ToArray();
        var before = Owners(Build(all), Keys);
        var after = Owners(Build(remaining), Keys);

        var onRemoved = before.Count(o => o == "b3");
        var moved = Enumerable.Range(0, Keys).Where(i => before[i] != after[i]).ToArray();

        Assert.Equal(onRemoved, moved.Length);
        Assert.All(moved, i => Assert.Equal("b3", before[i]));
        Assert.InRange(moved.Length / (double)Keys, 0.20 - 0.05, 0.20 + 0.05);
        AssertSpreadOver(moved.Select(i => after[i]), ["b1", "b2", "b4", "b5"]);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(1000)]
    public void BackendOutOfRotation_OnlyItsKeysMove_AndComeBackWhenItReturns(int weight)
    {
        var backends = TestPools.Backends("p", weight, weight, weight, weight, weight);
        var config = TestPools.Config("p", BalanceMode.ConsistentHash, backends);

        var healthy = PoolSnapshot.Build(config, 1, backends, b => b.ConfiguredWeight);
        var b3Down = PoolSnapshot.Build(config, 2, backends, b => b.Id == "b3" ? 0 : b.ConfiguredWeight);
        var b3Back = PoolSnapshot.Build(config, 3, backends, b => b.ConfiguredWeight);
        Assert.DoesNotContain(b3Down.Candidates, b => b.Id == "b3");

        var before = Owners(healthy, Keys);
        var down = Owners(b3Down, Keys);
        var back = Owners(b3Back, Keys);

        var moved = Enumerable.Range(0, Keys).Where(i => before[i] != down[i]).ToArray();
        Assert.Equal(before.Count(o => o == "b3"), moved.Length);
        Assert.All(moved, i => Assert.Equal("b3", before[i]));
        Assert.DoesNotContain("b3", down);
        AssertSpreadOver(moved.Select(i => down[i]), ["b1", "b2", "b4", "b5"]);

        Assert.Equal(before, back);
    }

    [Fact]
    public void UnequalWeights_RemovingTheHeaviest_MovesOnlyItsKeys()
    {
        var all = TestPools.Backends("p", 7, 1, 3, 1000, 2);
        var remaining = all.Where(b => b.Id != "b4").ToArray();
        var before = Owners(Build(all), Keys);
        var after = Owners(Build(remaining), Keys);

        var moved = Enumerable.Range(0, Keys).Where(i => before[i] != after[i]).ToArray();
        Assert.Equal(before.Count(o => o == "b4"), moved.Length);
        Assert.InRange(moved.Length / (double)Keys, 1000.0 / 1013 - 0.01, 1000.0 / 1013 + 0.01);
    }

    [Fact]
    public void EffectiveWeightChanges_DoNotMoveKeys()
    {
        // The mapping uses configured weights; effective weights (e.g. slow start) only gate candidacy.
        var backends = TestPools.Backends("p", 2, 2, 2);
        var config = TestPools.Config("p", BalanceMode.ConsistentHash, backends);
        var normal = PoolSnapshot.Build(config, 1, backends, b => b.ConfiguredWeight);
        var skewed = PoolSnapshot.Build(config, 2, backends, b => b.Id == "b1" ? 1 : 7);

        Assert.Equal(Owners(normal, 5_000), Owners(skewed, 5_000));
    }

    [Fact]
    public void ExcludingACandidate_MovesOnlyItsKeys()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.ConsistentHash, 1, 1, 1, 1);
        var moved = 0;

        for (var i = 0; i < 5_000; i++)
        {
            var first = snapshot.Balancer.Pick(TestPools.Context(i));
            var retry = snapshot.Balancer.Pick(TestPools.Context(i).Exclude(2));
            Assert.NotEqual(2, retry);
            Assert.InRange(retry, 0, 3);
            if (first == 2) moved++;
            else Assert.Equal(first, retry);
        }
        Assert.True(moved > 0);
    }

    private static PoolSnapshot Build(Backend[] backends) =>
        PoolSnapshot.Build(TestPools.Config("p", BalanceMode.ConsistentHash, backends), 1, backends, b => b.ConfiguredWeight);

    private static string OwnerOf(PoolSnapshot snapshot, int key)
    {
        var pick = snapshot.Balancer.Pick(TestPools.Context(key));
        Assert.InRange(pick, 0, snapshot.Candidates.Length - 1);
        return snapshot.Candidates[pick].Id;
    }

    private static string[] Owners(PoolSnapshot snapshot, int keys) =>
        Enumerable.Range(0, keys).Select(i => OwnerOf(snapshot, i)).ToArray();

    /// <summary>Each of <paramref name="targets"/> takes at least half its fair part of the moved keys.</summary>
    private static void AssertSpreadOver(IEnumerable<string> newOwners, string[] targets)
    {
        var counts = newOwners.GroupBy(o => o).ToDictionary(g => g.Key, g => g.Count());
        var total = counts.Values.Sum();
        Assert.Equal(targets.Order(), counts.Keys.Order());
        foreach (var target in targets)
            Assert.True(counts[target] >= total / targets.Length / 2,
                $"{target} took {counts[target]} of {total} moved keys: {string.Join(", ", counts.Select(c => $"{c.Key}={c.Value}"))}");
    }
}
