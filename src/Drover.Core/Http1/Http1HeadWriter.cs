using System.Buffers;
using System.Runtime.CompilerServices;

namespace Drover.Core.Http1;

/// <summary>
/// Writes parsed heads back out for forwarding. Kept header fields are written as
/// "Name: value\r\n" from the parsed offsets, so odd OWS never reaches the other side. Each head is
/// written with a single <see cref="IBufferWriter{T}.GetSpan"/> of the exact size.
/// </summary>
[SkipLocalsInit]
public static class Http1HeadWriter
{
    private static ReadOnlySpan<byte> CrLf => "\r\n"u8;
    private static ReadOnlySpan<byte> ColonSpace => ": "u8;
    private static ReadOnlySpan<byte> CommaSpace => ", "u8;
    private static ReadOnlySpan<byte> XForwardedFor => "X-Forwarded-For: "u8;
    private static ReadOnlySpan<byte> XForwardedProto => "X-Forwarded-Proto: "u8;
    private static ReadOnlySpan<byte> XForwardedHost => "X-Forwarded-Host: "u8;
    private static ReadOnlySpan<byte> ConnectionClose => "Connection: close\r\n"u8;

    /// <summary>
    /// Writes "METHOD TARGET HTTP/1.1\r\n", every header not in DropMask, then X-Forwarded-For (the
    /// client's value, if any, followed by ", " and <paramref name="clientIp"/>), X-Forwarded-Proto,
    /// X-Forwarded-Host (the Host value), then "\r\n". <paramref name="head"/> is the span that was parsed.
    /// </summary>
    public static void WriteRequest(IBufferWriter<byte> output, ReadOnlySpan<byte> head, Http1RequestHead parsed,
        ReadOnlySpan<byte> clientIp, ReadOnlySpan<byte> proto)
    {
        int requestLineLength = parsed.RequestLineLength;
        ReadOnlySpan<byte> existingXff = parsed.XForwardedForIndex >= 0 ? parsed.Headers[parsed.XForwardedForIndex].Value(head) : default;
        ReadOnlySpan<byte> host = parsed.HostIndex >= 0 ? parsed.Headers[parsed.HostIndex].Value(head) : default;

        int size = requestLineLength + KeptFieldsLength(parsed.Headers, parsed.HeaderCount, parsed.DropMask)
            + XForwardedFor.Length + (existingXff.IsEmpty ? 0 : existingXff.Length + CommaSpace.Length) + clientIp.Length + CrLf.Length
            + XForwardedProto.Length + proto.Length + CrLf.Length
            + (parsed.HostIndex >= 0 ? XForwardedHost.Length + host.Length + CrLf.Length : 0)
            + CrLf.Length;

        Span<byte> span = output.GetSpan(size);
        int pos = 0;
        Append(span, ref pos, head.Slice(0, requestLineLength));
        WriteKeptFields(span, ref pos, head, parsed.Headers, parsed.HeaderCount, parsed.DropMask);

        Append(span, ref pos, XForwardedFor);
        if (!existingXff.IsEmpty)
        {
            Append(span, ref pos, existingXff);
            Append(span, ref pos, CommaSpace);
        }
        Append(span, ref pos, clientIp);
        Append(span, ref pos, CrLf);

        Append(span, ref pos, XForwardedProto);
        Append(span, ref pos, proto);
        Append(span, ref pos, CrLf);

        if (parsed.HostIndex >= 0)
        {
            Append(span, ref pos, XForwardedHost);
            Append(span, ref pos, host);
            Append(span, ref pos, CrLf);
        }
        Append(span, ref pos, CrLf);
        output.Advance(pos);
    }

    /// <summary>
    /// Writes the status line verbatim, every header not in DropMask, "Connection: close\r\n" when
    /// <paramref name="addConnectionClose"/>, then "\r\n".
    /// </summary>
    public static void WriteResponse(IBufferWriter<byte> output, ReadOnlySpan<byte> head, Http1ResponseHead parsed, bool addConnectionClose) =>
        WriteResponse(output, head, parsed, addConnectionClose, default);

    /// <summary>As above, with <paramref name="extraField"/> (one whole "Name: value\r\n" line, or empty) after the kept fields.</summary>
    public static void WriteResponse(IBufferWriter<byte> output, ReadOnlySpan<byte> head, Http1ResponseHead parsed, bool addConnectionClose,
        ReadOnlySpan<byte> extraField)
    {
        Span<byte> span = output.GetSpan(ResponseLength(parsed, addConnectionClose, extraField));
        output.Advance(WriteResponse(span, head, parsed, addConnectionClose, extraField));
    }

    /// <summary>The length of the head <see cref="WriteResponse(Span{byte}, ReadOnlySpan{byte}, Http1ResponseHead, bool, ReadOnlySpan{byte})"/> writes.</summary>
    public static int ResponseLength(Http1ResponseHead parsed, bool addConnectionClose, ReadOnlySpan<byte> extraField) =>
        parsed.StatusLineLength + KeptFieldsLength(parsed.Headers, parsed.HeaderCount, parsed.DropMask)
        + extraField.Length + (addConnectionClose ? ConnectionClose.Length : 0) + CrLf.Length;

    /// <summary>Writes the response head into <paramref name="destination"/> (at least <see cref="ResponseLength"/> long); returns its length.</summary>
    public static int WriteResponse(Span<byte> destination, ReadOnlySpan<byte> head, Http1ResponseHead parsed, bool addConnectionClose,
        ReadOnlySpan<byte> extraField)
    {
        int pos = 0;
        Append(destination, ref pos, head.Slice(0, parsed.StatusLineLength));
        WriteKeptFields(destination, ref pos, head, parsed.Headers, parsed.HeaderCount, parsed.DropMask);
        Append(destination, ref pos, extraField);
        if (addConnectionClose)
            Append(destination, ref pos, ConnectionClose);
        Append(destination, ref pos, CrLf);
        return pos;
    }

    private static int KeptFieldsLength(HeaderField[] headers, int count, ulong dropMask)
    {
        int length = 0;
        for (int i = 0; i < count; i++)
        {
            if ((dropMask & (1UL << i)) == 0)
                length += headers[i].NameLength + headers[i].ValueLength + 4;
        }
        return length;
    }

    private static void WriteKeptFields(Span<byte> span, ref int pos, ReadOnlySpan<byte> head, HeaderField[] headers, int count, ulong dropMask)
    {
        for (int i = 0; i < count; i++)
        {
            if ((dropMask & (1UL << i)) != 0)
                continue;
            ref readonly HeaderField field = ref headers[i];
            Append(span, ref pos, head.Slice(field.NameStart, field.NameLength));
            Append(span, ref pos, ColonSpace);
            Append(span, ref pos, head.Slice(field.ValueStart, field.ValueLength));
            Append(span, ref pos, CrLf);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Append(Span<byte> span, ref int pos, ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(span.Slice(pos));
        pos += bytes.Length;
    }
}
