using Drover.Core.Balancing;
using Drover.Core.Pools;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class PoolSnapshotTests
{
    public static TheoryData<BalanceMode> AllModes => new(Enum.GetValues<BalanceMode>());

    [Theory]
    [MemberData(nameof(AllModes))]
    public void WeightZeroBackends_AreNotCandidates(BalanceMode mode)
    {
        var snapshot = TestPools.Snapshot(mode, 2, 0, 3, 0);

        Assert.Equal(["b1", "b2", "b3", "b4"], snapshot.Backends.Select(b => b.Id));
        Assert.Equal(["b1", "b3"], snapshot.Candidates.Select(b => b.Id));
        Assert.Equal([2, 3], snapshot.Weights);
        for (var i = 0; i < 1_000; i++)
            Assert.InRange(snapshot.Balancer.Pick(TestPools.Context(i)), 0, 1);
    }

    [Fact]
    public void EffectiveWeight_DecidesCandidacy_NotTheConfiguredWeight()
    {
        var backends = TestPools.Backends("p", 1, 1, 1);
        var config = TestPools.Config("p", BalanceMode.RoundRobin, backends);

        var snapshot = PoolSnapshot.Build(config, 7, backends, b => b.Id == "b2" ? 0 : 4);

        Assert.Equal(7, snapshot.Version);
        Assert.Equal("p", snapshot.Name);
        Assert.Equal(["b1", "b3"], snapshot.Candidates.Select(b => b.Id));
        Assert.Equal([4, 4], snapshot.Weights);
    }

    [Fact]
    public void SessionsFollow_Ordinals_NotPositions_AfterAReloadRemovedABackend()
    {
        // A reload removed b1 (ordinal 0) and added b4 (ordinal 3): ordinals are no longer positions.
        var config = TestPools.Config("p", BalanceMode.RoundRobin, TestPools.Backends("p", 1, 1, 1));
        var b2 = new Backend("p", new global::Drover.Core.Configuration.BackendConfig("b2", new global::Drover.Core.Net.HostPort("127.0.0.1", 2)), 1);
        var b3 = new Backend("p", new global::Drover.Core.Configuration.BackendConfig("b3", new global::Drover.Core.Net.HostPort("127.0.0.1", 3)), 2);
        var b4 = new Backend("p", new global::Drover.Core.Configuration.BackendConfig("b4", new global::Drover.Core.Net.HostPort("127.0.0.1", 4)), 3);
        var removed = new Backend("p", new global::Drover.Core.Configuration.BackendConfig("b1", new global::Drover.Core.Net.HostPort("127.0.0.1", 1)), 0);

        var snapshot = PoolSnapshot.Build(config, 2, [b2, b3, b4], _ => 1, b => b != b3);

        Assert.True(snapshot.KeepsSessions(b2));
        Assert.False(snapshot.KeepsSessions(b3));
        Assert.True(snapshot.KeepsSessions(b4));
        Assert.False(snapshot.KeepsSessions(removed));
        Assert.Same(b4, snapshot.Find("b4"));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void EveryMode_NeverReturnsAnExcludedCandidate(BalanceMode mode)
    {
        var snapshot = TestPools.Snapshot(mode, 5, 3, 1, 1);
        var n = snapshot.Candidates.Length;

        for (var excluded = 0; excluded < n; excluded++)
        {
            var seen = new HashSet<int>();
            for (var i = 0; i < 2_000; i++)
            {
                var pick = snapshot.Balancer.Pick(TestPools.Context(i).Exclude(excluded));
                Assert.InRange(pick, 0, n - 1);
                Assert.NotEqual(excluded, pick);
                // Hold some load so load-aware modes spread their picks too.
                snapshot.Candidates[pick].OnStart();
                seen.Add(pick);
            }
            foreach (var b in snapshot.Candidates) while (b.Active > 0) b.OnEnd();
            Assert.Equal(n - 1, seen.Count);
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void EveryMode_ExcludingTwo_OnlyTheOthersAreReturned(BalanceMode mode)
    {
        var snapshot = TestPools.Snapshot(mode, 1, 2, 3, 4);

        for (var i = 0; i < 2_000; i++)
        {
            var pick = snapshot.Balancer.Pick(TestPools.Context(i).Exclude(1).Exclude(3));
            Assert.True(pick is 0 or 2, $"pick {i} returned {pick}");
        }
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void EveryMode_AllExcluded_ReturnsMinusOne(BalanceMode mode)
    {
        var snapshot = TestPools.Snapshot(mode, 5, 3, 1);
        var all = PickContext.None.Exclude(0).Exclude(1).Exclude(2);

        for (var i = 0; i < 100; i++)
            Assert.Equal(-1, snapshot.Balancer.Pick(new PickContext(TestPools.KeyHash(i), all.Excluded)));
    }

    [Theory]
    [MemberData(nameof(AllModes))]
    public void EveryMode_NoCandidates_ReturnsMinusOne(BalanceMode mode)
    {
        var snapshot = TestPools.Snapshot(mode, 0, 0, 0);

        Assert.Empty(snapshot.Candidates);
        Assert.Equal(-1, snapshot.Balancer.Pick(TestPools.Context(1)));
    }

    [Theory]
    [InlineData(BalanceMode.RoundRobin, typeof(RoundRobinBalancer))]
    [InlineData(BalanceMode.LeastConnections, typeof(LeastConnectionsBalancer))]
    [InlineData(BalanceMode.Random, typeof(RandomBalancer))]
    [InlineData(BalanceMode.PowerOfTwo, typeof(PowerOfTwoBalancer))]
    [InlineData(BalanceMode.ConsistentHash, typeof(ConsistentHashBalancer))]
    [InlineData(BalanceMode.LeastResponseTime, typeof(LeastResponseTimeBalancer))]
    public void Build_UsesTheConfiguredBalancer(BalanceMode mode, Type balancer)
    {
        var snapshot = TestPools.Snapshot(mode, 1, 1);

        Assert.IsType(balancer, snapshot.Balancer);
        Assert.Equal(mode == BalanceMode.ConsistentHash, snapshot.NeedsHash);
    }
}
