using System.Security.Cryptography;
using System.Text;

namespace Drover.Node.Commands;

/// <summary>Checks a client's token without leaking, through timing, how much of it (or its length) matched.</summary>
public static class CommandToken
{
    /// <summary>True when no token is configured, or the given one equals it.</summary>
    public static bool Accepts(string expected, string? given)
    {
        if (expected.Length == 0) return true;
        // Hashing first makes both sides the same length, so the comparison time says nothing about it.
        var a = SHA256.HashData(Encoding.UTF8.GetBytes(expected));
        var b = SHA256.HashData(Encoding.UTF8.GetBytes(given ?? ""));
        return CryptographicOperations.FixedTimeEquals(a, b);
    }
}
