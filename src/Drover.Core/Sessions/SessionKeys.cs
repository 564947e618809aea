using System.Globalization;
using System.IO.Hashing;
using System.Runtime.InteropServices;
using Drover.Core.Balancing;

namespace Drover.Core.Sessions;

/// <summary>
/// Names derived from a sticky key, identical on every node: the session entity's id (pool + key,
/// the key replaced by a 128-bit hash when it is long or has unusual characters), the shard that
/// entity lives in, the replicated-store key its binding is written under, and the key's hash for
/// consistent hashing.
/// </summary>
public static class SessionKeys
{
    public const int MaxPlainKeyLength = 96;
    private const char Separator = ':';
    private const string HashedMarker = "#";

    /// <summary><c>pool:key</c>, or <c>pool:#hash</c> for a key that is long or not plain printable ASCII.</summary>
    public static string EntityId(string pool, ReadOnlySpan<char> key)
    {
        if (IsPlain(key)) return string.Concat(pool, ":", key);
        var hash = XxHash128.HashToUInt128(MemoryMarshal.AsBytes(key));
        return string.Concat(pool, ":" + HashedMarker, hash.ToString("x32", CultureInfo.InvariantCulture));
    }

    /// <summary>The pool part of an entity id (pool names contain no colon).</summary>
    public static string PoolOf(string entityId)
    {
        var colon = entityId.IndexOf(Separator);
        return colon < 0 ? entityId : entityId[..colon];
    }

    /// <summary>The key's hash for consistent hashing (UTF-16 bytes, as for <c>hash-key</c>).</summary>
    public static ulong KeyHash(ReadOnlySpan<char> key) => Balancing.KeyHash.Hash(MemoryMarshal.AsBytes(key));

    /// <summary>Which of <paramref name="count"/> buckets (shards, store keys) an entity id falls in; <paramref name="salt"/> separates the two uses.</summary>
    public static int Bucket(string entityId, int count, ulong salt = 0)
    {
        var hash = Balancing.KeyHash.Mix(Balancing.KeyHash.Hash(MemoryMarshal.AsBytes(entityId.AsSpan())), salt);
        return (int)(hash % (ulong)count);
    }

    private static bool IsPlain(ReadOnlySpan<char> key)
    {
        if (key.Length > MaxPlainKeyLength || key.IsEmpty || key.StartsWith(HashedMarker)) return false;
        foreach (var c in key)
            if (c is < '!' or > '~') return false;
        return true;
    }
}
