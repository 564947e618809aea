using System.IO.Hashing;
using System.Runtime.CompilerServices;
using System.Text;

namespace Drover.Core.Balancing;

/// <summary>
/// The hashes behind consistent hashing. XxHash3 is stable across processes and machines (unlike
/// <see cref="HashCode"/>), so every Drover node maps a key to the same backend.
/// </summary>
public static class KeyHash
{
    /// <summary>Hash of a key's bytes: client addresses, header and cookie values (UTF-16), paths.</summary>
    public static ulong Hash(ReadOnlySpan<byte> key) => XxHash3.HashToUInt64(key);

    public static ulong HashString(string value) => XxHash3.HashToUInt64(Encoding.UTF8.GetBytes(value));

    /// <summary>Combines a key hash with a backend's seed (SplitMix64's finalizer): a fresh, uniform 64-bit value per pair.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ulong Mix(ulong key, ulong seed)
    {
        var z = key ^ seed;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
