using System.IO.Hashing;
using System.Text;

namespace Drover.Core.Balancing;

/// <summary>
/// A consistent-hash ring (ketama style): each member gets <see cref="PointsPerWeight"/> x weight
/// points placed by hashing "id#n". Point positions depend only on member ids and weights, so every
/// Drover node builds the same ring, and removing one member moves only the keys it owned (about 1/N).
/// The hash is XxHash3, stable across processes and machines (unlike <see cref="HashCode"/>).
/// </summary>
public sealed class HashRing
{
    public const int PointsPerWeight = 160;
    /// <summary>Caps the ring at a size that still fits in cache for large weights.</summary>
    public const int MaxPoints = 1 << 18;

    private readonly ulong[] _points;
    private readonly int[] _owners;

    public HashRing(IReadOnlyList<(string Id, int Weight)> members)
    {
        Members = members.Select(m => m.Id).ToArray();
        var totalWeight = members.Sum(m => (long)Math.Max(0, m.Weight));
        var perWeight = totalWeight == 0 ? 0 : (int)Math.Max(1, Math.Min(PointsPerWeight, MaxPoints / totalWeight));

        var points = new List<(ulong Hash, int Owner)>();
        for (var owner = 0; owner < members.Count; owner++)
        {
            var count = Math.Max(0, members[owner].Weight) * perWeight;
            for (var n = 0; n < count; n++)
                points.Add((HashString($"{members[owner].Id}#{n}"), owner));
        }
        // Ties on a hash (astronomically rare) are broken by id so every node orders them the same.
        points.Sort((x, y) => x.Hash != y.Hash ? x.Hash.CompareTo(y.Hash) : string.CompareOrdinal(Members[x.Owner], Members[y.Owner]));
        _points = points.Select(p => p.Hash).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    /// <summary>Member ids in the order given; <see cref="Walk"/> yields indices into this.</summary>
    public IReadOnlyList<string> Members { get; }

    public int PointCount => _points.Length;

    /// <summary>The first point at or clockwise after <paramref name="hash"/>.</summary>
    public int FirstPointFor(ulong hash)
    {
        var i = Array.BinarySearch(_points, hash);
        if (i < 0) i = ~i;
        return i == _points.Length ? 0 : i;
    }

    /// <summary>The owner of point <paramref name="point"/> (wrapping around the ring).</summary>
    public int OwnerAt(int point) => _owners[point % _owners.Length];

    public static ulong HashString(string value) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(value));

    /// <summary>Hash of a key's bytes; the data path hashes client addresses, header and cookie values with this.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key);
}
