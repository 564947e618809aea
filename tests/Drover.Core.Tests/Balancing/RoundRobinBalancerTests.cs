using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class RoundRobinBalancerTests
{
    [Fact]
    public void EqualWeights_SequenceCyclesThroughEveryBackendInOrder()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 1, 1, 1, 1);

        for (var i = 0; i < 40; i++)
            Assert.Equal(i % 4, snapshot.Balancer.Pick(PickContext.None));
    }

    [Fact]
    public void EqualWeights_EachBackendGetsExactlyItsShare()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.RoundRobin, 1, 1, 1), 30_000);

        Assert.Equal([10_000, 10_000, 10_000], counts);
    }

    [Fact]
    public void Weights_531_SharesAreExactOverWholeCycles()
    {
        var counts = TestPools.CountPicks(TestPools.Snapshot(BalanceMode.RoundRobin, 5, 3, 1), 9 * 3_000);

        Assert.Equal([15_000, 9_000, 3_000], counts);
    }

    [Fact]
    public void Weights_531_EveryWindowOfOneCycleHoldsTheExactWeights()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 5, 3, 1);
        var picks = Enumerable.Range(0, 90).Select(_ => snapshot.Balancer.Pick(PickContext.None)).ToArray();

        // Not only over aligned cycles: any 9 consecutive picks are 5 x b1, 3 x b2, 1 x b3.
        for (var start = 0; start + 9 <= picks.Length; start++)
        {
            var window = picks.AsSpan(start, 9).ToArray();
            Assert.Equal(5, window.Count(p => p == 0));
            Assert.Equal(3, window.Count(p => p == 1));
            Assert.Equal(1, window.Count(p => p == 2));
        }
    }

    [Fact]
    public void Weights_511_SmoothOrderInterleavesTheLightBackends()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 5, 1, 1);
        var picks = Enumerable.Range(0, 70).Select(_ => snapshot.Balancer.Pick(PickContext.None)).ToArray();

        // nginx smooth weighted round robin: a a b a c a a, not a a a a a b c.
        Assert.Equal([0, 0, 1, 0, 2, 0, 0], picks[..7]);
        for (var i = 7; i < picks.Length; i++) Assert.Equal(picks[i - 7], picks[i]);

        // b and c are separated by the heavy backend and neither is saved for the end of the cycle.
        var b = Array.IndexOf(picks, 1);
        var c = Array.IndexOf(picks, 2);
        Assert.True(Math.Abs(b - c) >= 2, $"b at {b}, c at {c}: should not be adjacent");
        Assert.True(Math.Max(b, c) < 6, $"b at {b}, c at {c}: should not be at the end of the cycle");
        Assert.True(LongestRun(picks, 0) < 5, "the heavy backend never gets all its 5 turns in a row");
    }

    [Fact]
    public void LargeWeights_ScheduleIsScaledButKeepsProportions()
    {
        int[] weights = [1000, 999, 998, 997, 996, 1];
        Assert.True(weights.Sum() > RoundRobinBalancer.MaxScheduleLength);
        var schedule = RoundRobinBalancer.BuildSchedule(weights);

        Assert.InRange(schedule.Length, 1, RoundRobinBalancer.MaxScheduleLength + weights.Length);
        var counts = Enumerable.Range(0, weights.Length).Select(i => schedule.Count(s => s == i)).ToArray();
        Assert.True(counts[5] >= 1, "the light backend keeps at least one slot");
        TestPools.AssertShares(TestPools.ExpectedShares(weights), counts, 0.002);
    }

    [Fact]
    public void Exclude_TheExcludedCandidateIsNeverReturned()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 5, 3, 1);

        for (var excluded = 0; excluded < 3; excluded++)
        {
            var context = PickContext.None.Exclude(excluded);
            var seen = new HashSet<int>();
            for (var i = 0; i < 900; i++)
            {
                var pick = snapshot.Balancer.Pick(context);
                Assert.NotEqual(excluded, pick);
                Assert.InRange(pick, 0, 2);
                seen.Add(pick);
            }
            Assert.Equal(2, seen.Count); // both others still get retries
        }
    }

    [Fact]
    public void Exclude_AllButOne_AlwaysReturnsThatOne()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 1, 1, 1);
        var context = PickContext.None.Exclude(0).Exclude(2);

        for (var i = 0; i < 30; i++) Assert.Equal(1, snapshot.Balancer.Pick(context));
    }

    [Fact]
    public void Exclude_All_ReturnsMinusOne()
    {
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 5, 3, 1);
        var context = PickContext.None.Exclude(0).Exclude(1).Exclude(2);

        for (var i = 0; i < 10; i++) Assert.Equal(-1, snapshot.Balancer.Pick(context));
    }

    [Fact]
    public void ZeroCandidates_ReturnsMinusOne()
    {
        Assert.Equal(-1, new RoundRobinBalancer([]).Pick(PickContext.None));

        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, 0, 0);
        Assert.Empty(snapshot.Candidates);
        Assert.Equal(-1, snapshot.Balancer.Pick(PickContext.None));
    }

    [Theory]
    [InlineData(new[] { 1, 1, 1, 1 }, new[] { 500_000, 500_000, 500_000, 500_000 })]
    [InlineData(new[] { 5, 3, 1, 1, 7 }, new[] { 588_235, 352_941, 117_647, 117_647, 823_530 })]
    public void ConcurrentPicks_FromTwoThreads_KeepExactShares(int[] weights, int[] expected)
    {
        const int perThread = 1_000_000;
        var snapshot = TestPools.Snapshot(BalanceMode.RoundRobin, weights);
        var counts = new int[2][];
        var ready = 0;

        var threads = Enumerable.Range(0, 2).Select(t => new Thread(() =>
        {
            var local = new int[weights.Length];
            // Spin until both threads run, so the picks really overlap (a blocking barrier lets the
            // first thread finish before the second is even scheduled).
            Interlocked.Increment(ref ready);
            while (Volatile.Read(ref ready) < 2) Thread.SpinWait(1);
            for (var i = 0; i < perThread; i++) local[snapshot.Balancer.Pick(PickContext.None)]++;
            counts[t] = local;
        })).ToArray();
        foreach (var thread in threads) thread.Start();
        foreach (var thread in threads) Assert.True(thread.Join(TimeSpan.FromSeconds(10)), "picking thread hung");

        // Every cursor position is handed out exactly once, so the totals are exact whatever the
        // interleaving...
        var total = Enumerable.Range(0, weights.Length).Select(i => counts[0][i] + counts[1][i]).ToArray();
        Assert.Equal(expected, total);

        // ...and the cursor has advanced by exactly 2 x perThread: the next picks continue the sequence
        // where a single-threaded balancer would be after as many picks.
        var reference = TestPools.Snapshot(BalanceMode.RoundRobin, weights);
        for (var i = 0; i < 2 * perThread; i++) reference.Balancer.Pick(PickContext.None);
        var expectedNext = Enumerable.Range(0, 40).Select(_ => reference.Balancer.Pick(PickContext.None)).ToArray();
        var actualNext = Enumerable.Range(0, 40).Select(_ => snapshot.Balancer.Pick(PickContext.None)).ToArray();
        Assert.Equal(expectedNext, actualNext);
    }

    private static int LongestRun(int[] picks, int value)
    {
        int longest = 0, run = 0;
        foreach (var p in picks)
        {
            run = p == value ? run + 1 : 0;
            longest = Math.Max(longest, run);
        }
        return longest;
    }
}
