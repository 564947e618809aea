using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>
/// Consistent hashing on a ring of every configured backend (not only the healthy ones): when a
/// backend is down or excluded, its keys walk clockwise to the next usable owner, and return to it
/// when it comes back. Keys of other backends never move.
/// </summary>
public sealed class ConsistentHashBalancer : IBalancer
{
    private readonly HashRing _ring;
    private readonly int[] _memberToCandidate;

    public ConsistentHashBalancer(HashRing ring, Backend[] candidates)
    {
        _ring = ring;
        _memberToCandidate = new int[ring.Members.Count];
        for (var m = 0; m < _memberToCandidate.Length; m++)
        {
            _memberToCandidate[m] = -1;
            for (var c = 0; c < candidates.Length; c++)
                if (candidates[c].Id == ring.Members[m]) _memberToCandidate[m] = c;
        }
    }

    public int Pick(in PickContext context)
    {
        var points = _ring.PointCount;
        if (points == 0) return -1;
        var start = _ring.FirstPointFor(context.Hash);
        // Bounded walk: at worst once round the ring.
        for (var k = 0; k < points; k++)
        {
            var candidate = _memberToCandidate[_ring.OwnerAt(start + k)];
            if (candidate >= 0 && !context.IsExcluded(candidate)) return candidate;
        }
        return -1;
    }
}
