using System.Runtime.CompilerServices;
using static Drover.Core.Http1.Http1Syntax;

namespace Drover.Core.Http1;

/// <summary>
/// Strict parser for the head of a backend's HTTP/1.x response, deciding how its body is framed.
/// Call <see cref="Parse"/> with everything buffered so far after each read. It never throws,
/// never allocates, and reads at most <see cref="Http1ResponseHead.MaxHeadBytes"/> bytes.
/// </summary>
/// <remarks>
/// Ambiguous framing is Invalid rather than guessed: Transfer-Encoding with Content-Length,
/// Transfer-Encoding other than exactly "chunked" (so "gzip, chunked" is Invalid too), Transfer-Encoding
/// in an HTTP/1.0 response (RFC 9112 6.1), differing Content-Length values, or a Connection header
/// naming Content-Length or Transfer-Encoding (dropping those would reframe the body for the client).
/// 1xx responses are Unsupported: Drover never sends Expect or Upgrade on this path.
/// </remarks>
[SkipLocalsInit]
public static class Http1ResponseParser
{
    public static Http1ParseStatus Parse(ReadOnlySpan<byte> data, Http1ResponseHead head, bool requestWasHead)
    {
        head.Reset();
        ReadOnlySpan<byte> buf = data.Length > Http1ResponseHead.MaxHeadBytes ? data.Slice(0, Http1ResponseHead.MaxHeadBytes) : data;

        Http1ParseStatus status = ParseStatusLine(buf, head);
        if (status == Http1ParseStatus.Complete)
        {
            status = ParseFields(buf, head.StatusLineLength, head.Headers, FieldValueWithObsText,
                out head.HeaderCount, out head.HeadLength, out head.Reason);
            if (status == Http1ParseStatus.Complete)
                status = CheckFields(buf, head, requestWasHead);
        }
        if (status == Http1ParseStatus.Incomplete && data.Length >= Http1ResponseHead.MaxHeadBytes)
            return Fail(head, Http1ParseStatus.Unsupported, "head exceeds 16 KiB");
        if (status != Http1ParseStatus.Complete)
            head.HeadLength = 0;
        return status;
    }

    /// <summary>"HTTP/1.1" or "HTTP/1.0", SP, 3 digits, then SP reason-phrase (possibly empty) or nothing, CRLF.</summary>
    private static Http1ParseStatus ParseStatusLine(ReadOnlySpan<byte> buf, Http1ResponseHead head)
    {
        ReadOnlySpan<byte> prefix = "HTTP/1."u8;
        ReadOnlySpan<byte> available = buf.Slice(0, Math.Min(buf.Length, prefix.Length));
        int matched = available.CommonPrefixLength(prefix);
        if (matched < available.Length)
        {
            return matched == 5 && IsDigit(available[matched])
                ? Fail(head, Http1ParseStatus.Unsupported, "HTTP version is not 1.x")
                : Fail(head, Http1ParseStatus.Invalid, "malformed status line");
        }
        if (buf.Length <= prefix.Length)
            return Http1ParseStatus.Incomplete;
        byte minor = buf[7];
        if (minor == (byte)'0')
            head.IsHttp10 = true;
        else if (minor != (byte)'1')
            return IsDigit(minor)
                ? Fail(head, Http1ParseStatus.Unsupported, "HTTP version is not 1.0 or 1.1")
                : Fail(head, Http1ParseStatus.Invalid, "malformed status line");

        int code = 0;
        for (int i = 8; i < 12; i++)
        {
            if (i >= buf.Length)
                return Http1ParseStatus.Incomplete;
            byte b = buf[i];
            if (i == 8 ? b != SP : !IsDigit(b))
                return Fail(head, Http1ParseStatus.Invalid, "malformed status line");
            if (i > 8)
                code = code * 10 + (b - '0');
        }
        if (code is < 100 or > 599)
            return Fail(head, Http1ParseStatus.Invalid, "status code outside 100-599");
        head.StatusCode = code;
        if (code < 200)
            return Fail(head, Http1ParseStatus.Unsupported, "1xx response");

        int pos = 12;
        if (pos >= buf.Length)
            return Http1ParseStatus.Incomplete;
        if (buf[pos] == SP)
        {
            int reasonLength = buf.Slice(pos + 1).IndexOfAnyExcept(FieldValueWithObsText);
            if (reasonLength < 0)
                return Http1ParseStatus.Incomplete;
            pos += 1 + reasonLength;
        }
        // Without SP the line must end right after the code; tolerated since nothing depends on it.
        byte end = buf[pos];
        if (end != CR)
            return Fail(head, Http1ParseStatus.Invalid, end == LF ? "bare LF" : "malformed status line");
        if (pos + 1 >= buf.Length)
            return Http1ParseStatus.Incomplete;
        if (buf[pos + 1] != LF)
            return Fail(head, Http1ParseStatus.Invalid, "CR not followed by LF");
        head.StatusLineLength = pos + 2;
        return Http1ParseStatus.Complete;
    }

    private static Http1ParseStatus CheckFields(ReadOnlySpan<byte> buf, Http1ResponseHead head, bool requestWasHead)
    {
        HeaderField[] headers = head.Headers;
        int count = head.HeaderCount;
        ulong drop = 0;
        long contentLength = -1;
        int transferEncodingIndex = -1;
        bool hasConnection = false;
        for (int i = 0; i < count; i++)
        {
            ref readonly HeaderField field = ref headers[i];
            ReadOnlySpan<byte> value = buf.Slice(field.ValueStart, field.ValueLength);
            switch (Classify(buf.Slice(field.NameStart, field.NameLength)))
            {
                case KnownHeader.ContentLength:
                    if (!TryParseContentLength(value, out long length))
                        return Fail(head, Http1ParseStatus.Invalid, "Content-Length is not 1-18 digits");
                    if (contentLength >= 0)
                    {
                        if (length != contentLength)
                            return Fail(head, Http1ParseStatus.Invalid, "conflicting Content-Length headers");
                        drop |= 1UL << i;   // forward a single copy
                    }
                    contentLength = length;
                    break;
                case KnownHeader.TransferEncoding:
                    if (transferEncodingIndex >= 0)
                        return Fail(head, Http1ParseStatus.Invalid, "more than one Transfer-Encoding header");
                    transferEncodingIndex = i;
                    break;
                case KnownHeader.Connection:
                    hasConnection = true;
                    drop |= 1UL << i;
                    break;
                case KnownHeader.KeepAlive:
                case KnownHeader.ProxyConnection:
                case KnownHeader.TE:
                case KnownHeader.Trailer:
                case KnownHeader.Upgrade:
                    drop |= 1UL << i;
                    break;
            }
        }

        if (transferEncodingIndex >= 0)
        {
            if (contentLength >= 0)
                return Fail(head, Http1ParseStatus.Invalid, "both Transfer-Encoding and Content-Length");
            if (head.IsHttp10)
                return Fail(head, Http1ParseStatus.Invalid, "Transfer-Encoding in an HTTP/1.0 response");
        }

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
                        return Fail(head, Http1ParseStatus.Invalid, "Connection element is not a token");
                    if (EqualsIgnoreCase(option, "close"u8))
                    {
                        head.ConnectionClose = true;
                        continue;
                    }
                    KnownHeader known = Classify(option);
                    if (known is KnownHeader.ContentLength or KnownHeader.TransferEncoding)
                        return Fail(head, Http1ParseStatus.Invalid, "Connection names a framing header");
                    drop |= MaskOfName(buf, headers, count, option);
                }
            }
        }

        if (head.IsHttp10)
            head.ConnectionClose = true;

        int code = head.StatusCode;
        if (requestWasHead || code == 204 || code == 304)
        {
            head.Framing = BodyFraming.None;
        }
        else if (transferEncodingIndex >= 0)
        {
            ref readonly HeaderField te = ref headers[transferEncodingIndex];
            if (!EqualsIgnoreCase(buf.Slice(te.ValueStart, te.ValueLength), "chunked"u8))
                return Fail(head, Http1ParseStatus.Invalid, "Transfer-Encoding is not exactly chunked");
            head.Framing = BodyFraming.Chunked;
        }
        else if (contentLength >= 0)
        {
            head.Framing = BodyFraming.ContentLength;
            head.ContentLength = contentLength;
        }
        else
        {
            head.Framing = BodyFraming.UntilClose;
            head.ConnectionClose = true;
        }
        head.DropMask = drop;
        head.Reason = null;
        return Http1ParseStatus.Complete;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static Http1ParseStatus Fail(Http1ResponseHead head, Http1ParseStatus status, string reason)
    {
        head.Reason = reason;
        return status;
    }
}
