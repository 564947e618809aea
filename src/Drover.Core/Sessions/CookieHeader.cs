using System.Globalization;

namespace Drover.Core.Sessions;

/// <summary>
/// Allocation-free reading of <c>Cookie</c> request headers and <c>Set-Cookie</c> response headers
/// (RFC 6265 section 4, leniently: whitespace around pairs and quoted values are accepted; a pair
/// without <c>=</c> is skipped). Cookie names are case-sensitive.
/// </summary>
public static class CookieHeader
{
    /// <summary>The value of the first cookie called <paramref name="name"/> in a <c>Cookie</c> header, quotes removed.</summary>
    public static bool TryGetValue(ReadOnlySpan<char> header, ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        while (!header.IsEmpty)
        {
            var end = header.IndexOf(';');
            var pair = end < 0 ? header : header[..end];
            header = end < 0 ? default : header[(end + 1)..];
            if (TrySplit(pair, out var pairName, out var pairValue) && pairName.SequenceEqual(name))
            {
                value = pairValue;
                return true;
            }
        }
        value = default;
        return false;
    }

    /// <summary>
    /// The name and value of a <c>Set-Cookie</c> header, and whether it deletes the cookie
    /// (<c>Max-Age</c> of zero or less, or an <c>Expires</c> before <paramref name="now"/>).
    /// </summary>
    public static bool TryParseSetCookie(ReadOnlySpan<char> header, DateTimeOffset now, out ReadOnlySpan<char> name, out ReadOnlySpan<char> value, out bool deletes)
    {
        deletes = false;
        var end = header.IndexOf(';');
        if (!TrySplit(end < 0 ? header : header[..end], out name, out value)) return false;
        var attributes = end < 0 ? default : header[(end + 1)..];
        while (!attributes.IsEmpty)
        {
            var next = attributes.IndexOf(';');
            var attribute = (next < 0 ? attributes : attributes[..next]).Trim();
            attributes = next < 0 ? default : attributes[(next + 1)..];
            var equals = attribute.IndexOf('=');
            if (equals < 0) continue;
            var key = attribute[..equals].Trim();
            var text = attribute[(equals + 1)..].Trim();
            if (key.Equals("Max-Age", StringComparison.OrdinalIgnoreCase))
            {
                if (long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds) && seconds <= 0) deletes = true;
            }
            else if (key.Equals("Expires", StringComparison.OrdinalIgnoreCase))
            {
                if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var expires) && expires <= now) deletes = true;
            }
        }
        return true;
    }

    private static bool TrySplit(ReadOnlySpan<char> pair, out ReadOnlySpan<char> name, out ReadOnlySpan<char> value)
    {
        var equals = pair.IndexOf('=');
        if (equals <= 0)
        {
            name = value = default;
            return false;
        }
        name = pair[..equals].Trim();
        value = pair[(equals + 1)..].Trim();
        if (value.Length >= 2 && value[0] == '"' && value[^1] == '"') value = value[1..^1];
        return !name.IsEmpty;
    }
}
