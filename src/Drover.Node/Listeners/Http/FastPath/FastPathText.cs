using System.Text;
using Drover.Core.Http1;

namespace Drover.Node.Listeners.Http.FastPath;

/// <summary>Small byte-level helpers for the fast path.</summary>
internal static class FastPathText
{
    private static readonly string[] StatusDetails = Enumerable.Range(500, 100).Select(code => $"status {code}").ToArray();

    /// <summary>"status 503" for a 5xx, without allocating on every failure.</summary>
    public static string StatusDetail(int status) =>
        status is >= 500 and < 600 ? StatusDetails[status - 500] : $"status {status}";

    /// <summary>The index of the first header named <paramref name="name"/> (ASCII, case-insensitive), or -1.</summary>
    public static int FindHeader(ReadOnlySpan<byte> head, Http1RequestHead parsed, string name)
    {
        for (var i = 0; i < parsed.HeaderCount; i++)
        {
            var field = parsed.Headers[i];
            if (field.NameLength == name.Length && EqualsIgnoreCase(head.Slice(field.NameStart, field.NameLength), name)) return i;
        }
        return -1;
    }

    private static bool EqualsIgnoreCase(ReadOnlySpan<byte> bytes, string text)
    {
        for (var i = 0; i < bytes.Length; i++)
        {
            var b = bytes[i];
            var c = text[i];
            if (b == c) continue;
            if ((b | 0x20) != (c | 0x20) || (uint)((b | 0x20) - 'a') > 'z' - 'a') return false;
        }
        return true;
    }

    /// <summary>The method as one of the cached strings (route matching compares strings), or null for any other.</summary>
    public static string? KnownMethod(ReadOnlySpan<byte> method) => method.Length switch
    {
        3 when method.SequenceEqual("GET"u8) => "GET",
        3 when method.SequenceEqual("PUT"u8) => "PUT",
        4 when method.SequenceEqual("POST"u8) => "POST",
        4 when method.SequenceEqual("HEAD"u8) => "HEAD",
        5 when method.SequenceEqual("PATCH"u8) => "PATCH",
        6 when method.SequenceEqual("DELETE"u8) => "DELETE",
        7 when method.SequenceEqual("OPTIONS"u8) => "OPTIONS",
        _ => null,
    };

    /// <summary>Decodes ASCII/Latin-1 bytes into <paramref name="chars"/>; returns the decoded part.</summary>
    public static ReadOnlySpan<char> Decode(ReadOnlySpan<byte> bytes, Span<char> chars)
    {
        var written = Encoding.Latin1.GetChars(bytes, chars);
        return chars[..written];
    }
}
