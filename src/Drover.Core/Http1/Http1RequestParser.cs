using System.Runtime.CompilerServices;
using static Drover.Core.Http1.Http1Syntax;

namespace Drover.Core.Http1;

/// <summary>
/// Strict parser for the head of an HTTP/1.1 request, deciding whether the fast path may serve it.
/// Call <see cref="Parse"/> with everything buffered so far after each read. It never throws,
/// never allocates, and reads at most <see cref="Http1RequestHead.MaxHeadBytes"/> bytes.
/// </summary>
/// <remarks>
/// Only a narrow subset is Complete: origin-form target, exactly HTTP/1.1, one Host, no
/// Transfer-Encoding, at most one plain Content-Length, no Expect/Upgrade/HTTP2-Settings. Everything
/// else is Unsupported (hand the bytes to the full server) or Invalid (certainly malformed), so the
/// proxy and any backend cannot disagree about where this request ends. Syntax is checked first and
/// fails as early as the offending byte arrives; semantic checks run once the head is complete.
/// A verdict other than Incomplete never changes when more bytes arrive.
/// Beyond the RFC grammar, also Unsupported: CONNECT and case variants of HEAD/CONNECT (a backend
/// reading "head" as HEAD would desynchronise response framing), an empty Host or one with
/// characters outside letters, digits and "-._~:[]%", names that equal a special header once '_'
/// reads as '-' (CGI-style backends conflate them), and a Connection header naming Host,
/// Content-Length or Transfer-Encoding (dropping those would change where the request goes or ends).
/// </remarks>
[SkipLocalsInit]
public static class Http1RequestParser
{
    public static Http1ParseStatus Parse(ReadOnlySpan<byte> data, Http1RequestHead head)
    {
        head.Reset();
        ReadOnlySpan<byte> buf = data.Length > Http1RequestHead.MaxHeadBytes ? data.Slice(0, Http1RequestHead.MaxHeadBytes) : data;

        Http1ParseStatus status = ParseRequestLine(buf, head, out int pos);
        if (status == Http1ParseStatus.Complete)
        {
            status = ParseFields(buf, pos, head.Headers, FieldValueAscii, out head.HeaderCount, out head.HeadLength, out head.Reason);
            if (status == Http1ParseStatus.Complete)
                status = CheckFields(buf, head);
        }
        if (status == Http1ParseStatus.Incomplete && data.Length >= Http1RequestHead.MaxHeadBytes)
            return Fail(head, Http1ParseStatus.Unsupported, "head exceeds 16 KiB");
        if (status != Http1ParseStatus.Complete)
            head.HeadLength = 0;
        return status;
    }

    /// <summary>method SP origin-form SP "HTTP/1.1" CRLF (RFC 9112 3).</summary>
    private static Http1ParseStatus ParseRequestLine(ReadOnlySpan<byte> buf, Http1RequestHead head, out int pos)
    {
        pos = 0;
        int methodLength = buf.IndexOfAnyExcept(Tchar);
        if (methodLength < 0)
            return Http1ParseStatus.Incomplete;
        if (methodLength == 0)
        {
            byte first = buf[0];
            if (first == CR)
            {
                // RFC 9112 2.2 lets servers skip empty lines before the request line; leave that to the full server.
                if (buf.Length < 2)
                    return Http1ParseStatus.Incomplete;
                return buf[1] == LF
                    ? Fail(head, Http1ParseStatus.Unsupported, "empty line before the request line")
                    : Fail(head, Http1ParseStatus.Invalid, "CR not followed by LF");
            }
            return Fail(head, Http1ParseStatus.Invalid, first == LF ? "bare LF" : "request line does not start with a method");
        }
        if (buf[methodLength] != SP)
            return Fail(head, Http1ParseStatus.Invalid, buf[methodLength] == LF ? "bare LF" : "method not followed by a single space");
        head.MethodLength = methodLength;
        ReadOnlySpan<byte> method = buf.Slice(0, methodLength);
        head.IsHead = method.SequenceEqual("HEAD"u8);
        // CONNECT makes the backend tunnel. Methods are case-sensitive, but a backend that reads "head"
        // as HEAD would send a response without a body that the proxy expects to have one.
        if (!head.IsHead && (EqualsIgnoreCase(method, "head"u8) || EqualsIgnoreCase(method, "connect"u8)))
            return Fail(head, Http1ParseStatus.Unsupported, "CONNECT or a case variant of HEAD");

        int targetStart = methodLength + 1;
        if (targetStart >= buf.Length)
            return Http1ParseStatus.Incomplete;
        byte b = buf[targetStart];
        if (b != (byte)'/')
        {
            // absolute-form, authority-form and "*" are legal but not for the fast path.
            return (uint)(b - 0x21) <= 0x7E - 0x21 || b >= 0x80
                ? Fail(head, Http1ParseStatus.Unsupported, "request target not in origin form")
                : Fail(head, Http1ParseStatus.Invalid, b == LF ? "bare LF" : "invalid request target");
        }
        int targetLength = buf.Slice(targetStart).IndexOfAnyExcept(Visible);
        if (targetLength < 0)
            return Http1ParseStatus.Incomplete;
        b = buf[targetStart + targetLength];
        if (b != SP)
        {
            return b >= 0x80
                ? Fail(head, Http1ParseStatus.Unsupported, "non-ASCII byte in request target")
                : Fail(head, Http1ParseStatus.Invalid, b == LF ? "bare LF" : "invalid character in request target");
        }
        head.TargetStart = targetStart;
        head.TargetLength = targetLength;

        int versionStart = targetStart + targetLength + 1;
        ReadOnlySpan<byte> expected = "HTTP/1.1\r\n"u8;
        ReadOnlySpan<byte> available = buf.Slice(versionStart, Math.Min(buf.Length - versionStart, expected.Length));
        int matched = available.CommonPrefixLength(expected);
        if (matched < available.Length)
        {
            b = available[matched];
            // "HTTP/" DIGIT "." DIGIT with other digits: a real version, just not ours.
            if ((matched == 5 || matched == 7) && IsDigit(b))
                return Fail(head, Http1ParseStatus.Unsupported, "HTTP version is not 1.1");
            return Fail(head, Http1ParseStatus.Invalid,
                b == LF ? "bare LF" : matched == 9 ? "CR not followed by LF" : "malformed HTTP version");
        }
        if (available.Length < expected.Length)
            return Http1ParseStatus.Incomplete;
        pos = versionStart + expected.Length;
        return Http1ParseStatus.Complete;
    }

    private static Http1ParseStatus CheckFields(ReadOnlySpan<byte> buf, Http1RequestHead head)
    {
        HeaderField[] headers = head.Headers;
        int count = head.HeaderCount;
        ulong drop = 0;
        bool hasConnection = false;
        for (int i = 0; i < count; i++)
        {
            ref readonly HeaderField field = ref headers[i];
            ReadOnlySpan<byte> name = buf.Slice(field.NameStart, field.NameLength);
            ReadOnlySpan<byte> value = buf.Slice(field.ValueStart, field.ValueLength);
            switch (Classify(name))
            {
                case KnownHeader.Host:
                    if (head.HostIndex >= 0)
                        return Fail(head, Http1ParseStatus.Invalid, "more than one Host header");
                    if (value.IsEmpty)
                        return Fail(head, Http1ParseStatus.Unsupported, "empty Host");
                    if (value.ContainsAnyExcept(HostChars))
                        return Fail(head, Http1ParseStatus.Unsupported, "unusual character in Host");
                    head.HostIndex = i;
                    break;
                case KnownHeader.ContentLength:
                    if (head.ContentLength >= 0)
                        return Fail(head, Http1ParseStatus.Unsupported, "more than one Content-Length header");
                    if (!TryParseContentLength(value, out head.ContentLength))
                    {
                        head.ContentLength = -1;
                        return Fail(head, Http1ParseStatus.Unsupported, "Content-Length is not 1-18 digits");
                    }
                    break;
                case KnownHeader.TransferEncoding:
                    return Fail(head, Http1ParseStatus.Unsupported, "Transfer-Encoding");
                case KnownHeader.Expect:
                    return Fail(head, Http1ParseStatus.Unsupported, "Expect");
                case KnownHeader.Upgrade:
                    return Fail(head, Http1ParseStatus.Unsupported, "Upgrade");
                case KnownHeader.Http2Settings:
                    return Fail(head, Http1ParseStatus.Unsupported, "HTTP2-Settings");
                case KnownHeader.XForwardedFor:
                    if (head.XForwardedForIndex >= 0)
                        return Fail(head, Http1ParseStatus.Unsupported, "more than one X-Forwarded-For header");
                    head.XForwardedForIndex = i;
                    drop |= 1UL << i;
                    break;
                case KnownHeader.Connection:
                    hasConnection = true;
                    drop |= 1UL << i;
                    break;
                case KnownHeader.KeepAlive:
                case KnownHeader.ProxyConnection:
                case KnownHeader.TE:
                case KnownHeader.Trailer:
                case KnownHeader.ProxyAuthorization:
                case KnownHeader.XForwardedProto:
                case KnownHeader.XForwardedHost:
                    drop |= 1UL << i;
                    break;
                default:
                    // A backend that maps '-' and '_' alike would read "Content_Length" as a framing header.
                    if (name.Contains((byte)'_') && Classify(name, underscoreAsDash: true) != KnownHeader.Other)
                        return Fail(head, Http1ParseStatus.Unsupported, "underscore variant of a special header name");
                    break;
            }
        }
        if (head.HostIndex < 0)
            return Fail(head, Http1ParseStatus.Invalid, "no Host header");

        if (hasConnection)
        {
            for (int i = 0; i < count; i++)
            {
                ref readonly HeaderField field = ref headers[i];
                if (Classify(buf.Slice(field.NameStart, field.NameLength)) != KnownHeader.Connection)
                    continue;
                ReadOnlySpan<byte> value = buf.Slice(field.ValueStart, field.ValueLength);
                int pos = 0;
                while (NextListElement(value, ref pos, out int start, out int length))
                {
                    ReadOnlySpan<byte> option = value.Slice(start, length);
                    if (option.ContainsAnyExcept(Tchar))
                        return Fail(head, Http1ParseStatus.Unsupported, "Connection element is not a token");
                    if (EqualsIgnoreCase(option, "close"u8))
                    {
                        head.ConnectionClose = true;
                        continue;
                    }
                    if (EqualsIgnoreCase(option, "keep-alive"u8))
                        continue;
                    switch (Classify(option))
                    {
                        case KnownHeader.Upgrade:
                            return Fail(head, Http1ParseStatus.Unsupported, "Connection: upgrade");
                        // Dropping these would change where the request ends or where it goes.
                        case KnownHeader.Host:
                        case KnownHeader.ContentLength:
                        case KnownHeader.TransferEncoding:
                            return Fail(head, Http1ParseStatus.Unsupported, "Connection names a framing or routing header");
                    }
                    drop |= MaskOfName(buf, headers, count, option);
                }
            }
        }
        head.DropMask = drop;
        head.Reason = null;
        return Http1ParseStatus.Complete;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Http1ParseStatus Fail(Http1RequestHead head, Http1ParseStatus status, string reason)
    {
        head.Reason = reason;
        return status;
    }
}
