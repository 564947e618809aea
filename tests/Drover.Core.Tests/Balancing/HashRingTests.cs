using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class HashRingTests
{
    private static readonly (string Id, int Weight)[] Members = [("b1", 1), ("b2", 2), ("b3", 1), ("b4", 3)];

    [Fact]
    public void TwoRingsFromTheSameMembers_GiveIdenticalPicks()
    {
        // What makes every cluster node send a key to the same backend.
        var a = new HashRing(Members);
        var b = new HashRing(Members.ToArray());

        Assert.Equal(a.PointCount, b.PointCount);
        for (var i = 0; i < 10_000; i++)
        {
            var hash = TestPools.KeyHash(i);
            Assert.Equal(a.FirstPointFor(hash), b.FirstPointFor(hash));
            Assert.Equal(OwnerId(a, hash), OwnerId(b, hash));
        }
    }

    [Fact]
    public void MemberOrder_DoesNotChangeWhichIdOwnsAKey()
    {
        var a = new HashRing(Members);
        var reversed = new HashRing(Members.Reverse().ToArray());

        for (var i = 0; i < 10_000; i++)
        {
            var hash = TestPools.KeyHash(i);
            Assert.Equal(OwnerId(a, hash), OwnerId(reversed, hash));
        }
    }

    [Fact]
    public void Hash_IsStableAcrossProcesses()
    {
        // XxHash3-64 (seed 0) reference values; string.GetHashCode would differ per process.
        Assert.Equal(0x2D06800538D394C2UL, HashRing.HashString(""));
        Assert.Equal(HashRing.Hash("b1#0"u8), HashRing.HashString("b1#0"));
    }

    [Fact]
    public void PointsArePerUnitOfWeight_AndWeightZeroHasNone()
    {
        var ring = new HashRing([("a", 2), ("b", 0), ("c", 1)]);

        Assert.Equal(3 * HashRing.PointsPerWeight, ring.PointCount);
        var owners = Enumerable.Range(0, ring.PointCount).Select(p => ring.Members[ring.OwnerAt(p)]).ToArray();
        Assert.Equal(2 * HashRing.PointsPerWeight, owners.Count(o => o == "a"));
        Assert.Equal(HashRing.PointsPerWeight, owners.Count(o => o == "c"));
        Assert.DoesNotContain("b", owners);
    }

    [Fact]
    public void LargeWeights_RingIsCapped()
    {
        var ring = new HashRing([("a", 1000), ("b", 1000), ("c", 1000)]);

        Assert.InRange(ring.PointCount, 3, HashRing.MaxPoints);
    }

    [Fact]
    public void HashesPastTheLastPoint_WrapToTheFirst()
    {
        var ring = new HashRing(Members);

        Assert.Equal(0, ring.FirstPointFor(ulong.MaxValue));
        Assert.Equal(0, ring.FirstPointFor(0));
        Assert.InRange(ring.FirstPointFor(ulong.MaxValue / 2), 1, ring.PointCount - 1);
        Assert.Equal(ring.OwnerAt(0), ring.OwnerAt(ring.PointCount));
    }

    [Fact]
    public void EmptyRing_HasNoPoints_AndPicksNothing()
    {
        var ring = new HashRing([("a", 0)]);
        var balancer = new ConsistentHashBalancer(ring, []);

        Assert.Equal(0, ring.PointCount);
        Assert.Equal(-1, balancer.Pick(new PickContext(42)));
    }

    private static string OwnerId(HashRing ring, ulong hash) => ring.Members[ring.OwnerAt(ring.FirstPointFor(hash))];
}
