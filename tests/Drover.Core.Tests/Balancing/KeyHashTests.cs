using Drover.Core.Balancing;

namespace Drover.Core.Tests.Balancing;

public class KeyHashTests
{
    [Fact]
    public void Hashes_are_stable_values_not_per_process()
    {
        // Fixed expected values: a per-process randomized hash (like HashCode) would make nodes disagree.
        Assert.Equal(0x2D06800538D394C2UL, KeyHash.HashString(""));
        Assert.Equal(KeyHash.Hash("b1"u8), KeyHash.HashString("b1"));
    }

    [Fact]
    public void Mix_spreads_nearby_inputs_uniformly()
    {
        // 64 buckets from the top bits of Mix over consecutive keys: each near 1/64 of the values.
        var buckets = new int[64];
        const int n = 64_000;
        for (ulong k = 0; k < n; k++) buckets[KeyHash.Mix(k, 12345) >> 58]++;
        Assert.All(buckets, count => Assert.InRange(count, 1000 * 0.85, 1000 * 1.15));
        Assert.NotEqual(KeyHash.Mix(1, 2), KeyHash.Mix(1, 3));
    }
}
