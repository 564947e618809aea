using System.Buffers;
using System.Runtime.CompilerServices;

namespace Drover.Core.Http1;

/// <summary>Header names the parsers treat specially (compared case-insensitively).</summary>
internal enum KnownHeader
{
    Other,
    Host,
    ContentLength,
    TransferEncoding,
    Expect,
    Upgrade,
    Http2Settings,
    Connection,
    KeepAlive,
    ProxyConnection,
    TE,
    Trailer,
    ProxyAuthorization,
    XForwardedFor,
    XForwardedProto,
    XForwardedHost,
}

/// <summary>
/// Character classes and the header-field-line grammar shared by the request and response parsers
/// (RFC 9110 5 and RFC 9112 5). Every scan runs over what is buffered so far: running out of bytes
/// means Incomplete, so a verdict on a prefix never depends on bytes that have not arrived.
/// </summary>
[SkipLocalsInit]
internal static class Http1Syntax
{
    public const byte CR = (byte)'\r';
    public const byte LF = (byte)'\n';
    public const byte SP = (byte)' ';
    public const byte HTAB = (byte)'\t';

    private const string TcharString = "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>RFC 9110 5.6.2 tchar.</summary>
    public static readonly SearchValues<byte> Tchar = SearchValues.Create(BuildSet(TcharString, false, false, false));

    /// <summary>VCHAR (0x21-0x7E): request-target bytes.</summary>
    public static readonly SearchValues<byte> Visible = SearchValues.Create(BuildSet("", true, false, false));

    /// <summary>VCHAR / SP / HTAB: field values in requests, where obs-text is not accepted.</summary>
    public static readonly SearchValues<byte> FieldValueAscii = SearchValues.Create(BuildSet("", true, true, false));

    /// <summary>VCHAR / SP / HTAB / obs-text: field values in responses and the reason phrase.</summary>
    public static readonly SearchValues<byte> FieldValueWithObsText = SearchValues.Create(BuildSet("", true, true, true));

    // Hosts we route on: reg-name letters, digits, "-._~", ":" for the port, "[]" and "%" for IP
    // literals. Other reg-name characters are legal but odd enough to leave to the full server.
    public static readonly SearchValues<byte> HostChars =
        SearchValues.Create(BuildSet("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:[]%", false, false, false));

    private static readonly bool[] s_isTchar = BuildTcharTable();

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsTchar(byte b) => s_isTchar[b];

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsDigit(byte b) => (uint)(b - '0') <= 9;

    /// <summary>
    /// Parses header field lines from <paramref name="pos"/> up to and including the empty line.
    /// Returns Complete with <paramref name="headLength"/> set, Incomplete, or a failure with a reason.
    /// A byte of 0x80 or above in a value is Unsupported when <paramref name="valueChars"/> excludes it.
    /// </summary>
    public static Http1ParseStatus ParseFields(
        ReadOnlySpan<byte> buf, int pos, HeaderField[] headers, SearchValues<byte> valueChars,
        out int count, out int headLength, out string? reason)
    {
        count = 0;
        headLength = 0;
        reason = null;
        while (true)
        {
            if (pos >= buf.Length)
                return Http1ParseStatus.Incomplete;
            byte first = buf[pos];
            if (first == CR)
            {
                if (pos + 1 >= buf.Length)
                    return Http1ParseStatus.Incomplete;
                if (buf[pos + 1] != LF)
                    return Fail(Http1ParseStatus.Invalid, "CR not followed by LF", out reason);
                headLength = pos + 2;
                return Http1ParseStatus.Complete;
            }
            if (first == SP || first == HTAB)
                return Fail(Http1ParseStatus.Invalid, "header line starts with whitespace (obs-fold)", out reason);
            if (first == LF)
                return Fail(Http1ParseStatus.Invalid, "bare LF", out reason);
            if (count == headers.Length)
                return Fail(Http1ParseStatus.Unsupported, "more than 64 header fields", out reason);

            ReadOnlySpan<byte> line = buf.Slice(pos);
            int nameLength = line.IndexOfAnyExcept(Tchar);
            if (nameLength < 0)
                return Http1ParseStatus.Incomplete;
            if (nameLength == 0)
                return Fail(Http1ParseStatus.Invalid, "invalid character in field name", out reason);
            byte b = line[nameLength];
            if (b != (byte)':')
            {
                return Fail(Http1ParseStatus.Invalid,
                    b == SP || b == HTAB ? "whitespace between field name and colon"
                    : b == LF ? "bare LF"
                    : b == CR ? "header line without colon"
                    : "invalid character in field name", out reason);
            }

            int valueStart = nameLength + 1;
            int ows = line.Slice(valueStart).IndexOfAnyExcept(SP, HTAB);
            if (ows < 0)
                return Http1ParseStatus.Incomplete;
            valueStart += ows;
            int valueLength = line.Slice(valueStart).IndexOfAnyExcept(valueChars);
            if (valueLength < 0)
                return Http1ParseStatus.Incomplete;
            int end = valueStart + valueLength;
            b = line[end];
            if (b != CR)
            {
                return Fail(b >= 0x80 ? Http1ParseStatus.Unsupported : Http1ParseStatus.Invalid,
                    b == LF ? "bare LF"
                    : b >= 0x80 ? "non-ASCII byte in field value"
                    : "control character in field value", out reason);
            }
            if (end + 1 >= line.Length)
                return Http1ParseStatus.Incomplete;
            if (line[end + 1] != LF)
                return Fail(Http1ParseStatus.Invalid, "CR not followed by LF", out reason);

            while (valueLength > 0 && line[valueStart + valueLength - 1] is SP or HTAB)
                valueLength--;
            ref HeaderField field = ref headers[count++];
            field.NameStart = pos;
            field.NameLength = nameLength;
            field.ValueStart = pos + valueStart;
            field.ValueLength = valueLength;
            pos += end + 2;
        }
    }

    public static Http1ParseStatus Fail(Http1ParseStatus status, string message, out string? reason)
    {
        reason = message;
        return status;
    }

    /// <summary>Identifies the header names the parsers care about.</summary>
    /// <param name="underscoreAsDash">
    /// Also match names that differ only by '_' for '-', which CGI-style backends conflate
    /// (e.g. "Content_Length"); used to refuse such requests.
    /// </param>
    public static KnownHeader Classify(ReadOnlySpan<byte> name, bool underscoreAsDash = false)
    {
        switch (name.Length)
        {
            case 2:
                if (NameEquals(name, "te"u8, underscoreAsDash)) return KnownHeader.TE;
                break;
            case 4:
                if (NameEquals(name, "host"u8, underscoreAsDash)) return KnownHeader.Host;
                break;
            case 6:
                if (NameEquals(name, "expect"u8, underscoreAsDash)) return KnownHeader.Expect;
                break;
            case 7:
                if (NameEquals(name, "upgrade"u8, underscoreAsDash)) return KnownHeader.Upgrade;
                if (NameEquals(name, "trailer"u8, underscoreAsDash)) return KnownHeader.Trailer;
                break;
            case 10:
                if (NameEquals(name, "connection"u8, underscoreAsDash)) return KnownHeader.Connection;
                if (NameEquals(name, "keep-alive"u8, underscoreAsDash)) return KnownHeader.KeepAlive;
                break;
            case 14:
                if (NameEquals(name, "content-length"u8, underscoreAsDash)) return KnownHeader.ContentLength;
                if (NameEquals(name, "http2-settings"u8, underscoreAsDash)) return KnownHeader.Http2Settings;
                break;
            case 15:
                if (NameEquals(name, "x-forwarded-for"u8, underscoreAsDash)) return KnownHeader.XForwardedFor;
                break;
            case 16:
                if (NameEquals(name, "proxy-connection"u8, underscoreAsDash)) return KnownHeader.ProxyConnection;
                if (NameEquals(name, "x-forwarded-host"u8, underscoreAsDash)) return KnownHeader.XForwardedHost;
                break;
            case 17:
                if (NameEquals(name, "transfer-encoding"u8, underscoreAsDash)) return KnownHeader.TransferEncoding;
                if (NameEquals(name, "x-forwarded-proto"u8, underscoreAsDash)) return KnownHeader.XForwardedProto;
                break;
            case 19:
                if (NameEquals(name, "proxy-authorization"u8, underscoreAsDash)) return KnownHeader.ProxyAuthorization;
                break;
        }
        return KnownHeader.Other;
    }

    /// <summary>ASCII case-insensitive comparison with a lower-case literal of the same length.</summary>
    private static bool NameEquals(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lower, bool underscoreAsDash)
    {
        for (int i = 0; i < lower.Length; i++)
        {
            int c = name[i];
            if ((uint)(c - 'A') <= 'Z' - 'A')
                c |= 0x20;
            else if (underscoreAsDash && c == '_')
                c = '-';
            if (c != lower[i])
                return false;
        }
        return true;
    }

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
        => a.Length == b.Length && System.Text.Ascii.EqualsIgnoreCase(a, b);

    /// <summary>
    /// Next element of a comma-separated list (RFC 9110 5.6.1), trimmed of OWS; empty elements are
    /// skipped. Returns false at the end of the list.
    /// </summary>
    public static bool NextListElement(ReadOnlySpan<byte> value, ref int pos, out int start, out int length)
    {
        while (pos < value.Length)
        {
            int comma = value.Slice(pos).IndexOf((byte)',');
            int end = comma < 0 ? value.Length : pos + comma;
            int s = pos, e = end;
            while (s < e && value[s] is SP or HTAB) s++;
            while (e > s && value[e - 1] is SP or HTAB) e--;
            pos = comma < 0 ? value.Length : end + 1;
            if (e > s)
            {
                start = s;
                length = e - s;
                return true;
            }
        }
        start = 0;
        length = 0;
        return false;
    }

    /// <summary>Sets the bit of every header whose name equals <paramref name="name"/> (case-insensitive).</summary>
    public static ulong MaskOfName(ReadOnlySpan<byte> head, HeaderField[] headers, int count, ReadOnlySpan<byte> name)
    {
        ulong mask = 0;
        for (int i = 0; i < count; i++)
        {
            ref readonly HeaderField field = ref headers[i];
            if (field.NameLength == name.Length && System.Text.Ascii.EqualsIgnoreCase(head.Slice(field.NameStart, field.NameLength), name))
                mask |= 1UL << i;
        }
        return mask;
    }

    /// <summary>Parses 1-18 ASCII digits; anything else (sign, list, inner space, too long) fails.</summary>
    public static bool TryParseContentLength(ReadOnlySpan<byte> value, out long result)
    {
        result = 0;
        if (value.Length is 0 or > 18)
            return false;
        foreach (byte b in value)
        {
            if (!IsDigit(b))
                return false;
            result = result * 10 + (b - '0');
        }
        return true;
    }

    private static byte[] BuildSet(string chars, bool vchar, bool spaceAndTab, bool obsText)
    {
        var list = new List<byte>();
        foreach (char c in chars)
            list.Add((byte)c);
        if (vchar)
            for (int b = 0x21; b <= 0x7E; b++) list.Add((byte)b);
        if (spaceAndTab)
        {
            list.Add(SP);
            list.Add(HTAB);
        }
        if (obsText)
            for (int b = 0x80; b <= 0xFF; b++) list.Add((byte)b);
        return list.ToArray();
    }

    private static bool[] BuildTcharTable()
    {
        var table = new bool[256];
        foreach (char c in TcharString)
            table[c] = true;
        return table;
    }
}
