using System.Diagnostics;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Core.Pools;
using Xunit;

namespace Drover.Core.Tests.Balancing;

/// <summary>Builds pools and drives balancers for the balancing tests.</summary>
internal static class TestPools
{
    public static Backend[] Backends(string pool, params int[] weights) =>
        weights.Select((w, i) => new Backend(pool, new BackendConfig($"b{i + 1}", new HostPort("127.0.0.1", 9001 + i), w))).ToArray();

    public static PoolConfig Config(string name, BalanceMode mode, Backend[] backends) =>
        new(name, mode, HashKey.ClientIp,
            backends.Select(b => new BackendConfig(b.Id, b.Address, b.ConfiguredWeight)).ToArray(),
            TimeoutsConfig.Default);

    /// <summary>A snapshot whose effective weights are the configured ones.</summary>
    public static PoolSnapshot Snapshot(BalanceMode mode, params int[] weights)
    {
        var backends = Backends("p", weights);
        return PoolSnapshot.Build(Config("p", mode, backends), 1, backends, b => b.ConfiguredWeight);
    }

    /// <summary>The context of pick number <paramref name="i"/>: a distinct, well-spread hash per pick.</summary>
    public static PickContext Context(int i) => new(KeyHash(i));

    public static ulong KeyHash(int i) => Drover.Core.Balancing.KeyHash.HashString($"key-{i}");

    /// <summary>Picks <paramref name="picks"/> times with no load held; returns the count per candidate.</summary>
    public static int[] CountPicks(PoolSnapshot snapshot, int picks)
    {
        var counts = new int[snapshot.Candidates.Length];
        for (var i = 0; i < picks; i++)
        {
            var pick = snapshot.Balancer.Pick(Context(i));
            Assert.InRange(pick, 0, counts.Length - 1);
            counts[pick]++;
        }
        return counts;
    }

    /// <summary>
    /// Every pick starts a request on the chosen backend (OnStart) and the oldest request ends (OnEnd)
    /// once <paramref name="inFlight"/> are open: a fixed number of concurrent requests, as under a
    /// steady closed-loop load. Over a long run a backend's share of picks equals its average share
    /// of the in-flight requests, which is what a load-aware balancer steers.
    /// </summary>
    public static int[] CountPicksUnderLoad(PoolSnapshot snapshot, int picks, int inFlight, Action<Backend>? onEnd = null)
    {
        var counts = new int[snapshot.Candidates.Length];
        var open = new Queue<Backend>(inFlight + 1);
        for (var i = 0; i < picks; i++)
        {
            var pick = snapshot.Balancer.Pick(Context(i));
            Assert.InRange(pick, 0, counts.Length - 1);
            counts[pick]++;
            var backend = snapshot.Candidates[pick];
            backend.OnStart();
            open.Enqueue(backend);
            if (open.Count > inFlight)
            {
                var done = open.Dequeue();
                onEnd?.Invoke(done);
                done.OnEnd();
            }
        }
        while (open.Count > 0) open.Dequeue().OnEnd();
        Assert.All(snapshot.Candidates, b => Assert.Equal(0, b.Active));
        return counts;
    }

    public static double[] Shares(int[] counts)
    {
        var total = (double)counts.Sum();
        return counts.Select(c => c / total).ToArray();
    }

    public static double[] ExpectedShares(params int[] weights)
    {
        var total = (double)weights.Sum();
        return weights.Select(w => w / total).ToArray();
    }

    /// <summary>Asserts each share is within <paramref name="tolerance"/> (absolute) of the expected one.</summary>
    public static void AssertShares(double[] expected, int[] counts, double tolerance)
    {
        var actual = Shares(counts);
        Assert.Equal(expected.Length, actual.Length);
        for (var i = 0; i < expected.Length; i++)
        {
            Assert.True(Math.Abs(actual[i] - expected[i]) <= tolerance,
                $"candidate {i}: share {actual[i]:F4}, expected {expected[i]:F4} ± {tolerance} " +
                $"(counts {string.Join(", ", counts)})");
        }
    }

    public static long Millis(double ms) => (long)(ms * Stopwatch.Frequency / 1000);
}
