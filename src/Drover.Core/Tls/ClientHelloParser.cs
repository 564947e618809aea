using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Text;

namespace Drover.Core.Tls;

/// <summary>
/// Incremental-friendly parser for the TLS ClientHello a client sends first, used to route
/// TLS pass-through connections by SNI. Call <see cref="Parse"/> with everything buffered so far
/// after each read. It never throws, never reads past <c>data</c>, and allocates only the
/// returned server-name string (plus, for a hello fragmented over several records and larger
/// than 4 KiB, an <see cref="ArrayPool{T}"/> rental that is returned before the call ends).
/// </summary>
/// <remarks>
/// <see cref="MaxClientHelloBytes"/> bounds the record-layer bytes the hello may occupy (headers
/// included). Because oversize declarations are rejected up front, a caller that has buffered
/// <see cref="MaxClientHelloBytes"/> bytes never gets <see cref="ClientHelloStatus.NeedMoreData"/>.
/// Bytes after the record that completes the hello (e.g. a TLS 1.3 ChangeCipherSpec) are ignored.
/// </remarks>
[SkipLocalsInit]
public static class ClientHelloParser
{
    public const int MaxClientHelloBytes = 64 * 1024;

    private const int RecordHeaderLength = 5;
    private const int HandshakeHeaderLength = 4;
    private const int MaxRecordLength = 16384;      // RFC 8446 5.1: TLSPlaintext.length <= 2^14
    private const byte ContentTypeHandshake = 22;
    private const byte HandshakeTypeClientHello = 1;
    private const int ExtensionServerName = 0;
    private const byte NameTypeHostName = 0;
    private const int MaxSessionIdLength = 32;
    private const int MaxHostNameLength = 255;
    private const int MaxLabelLength = 63;           // RFC 1035 2.3.4
    private const int StackBufferSize = 4096;        // reassembly buffer size before falling back to ArrayPool

    // Messages that embed a byte value are built once so that even the Invalid path allocates nothing.
    private static readonly string[] NotHandshakeRecordErrors =
        BuildByteMessages(static b => $"not a TLS handshake record (first byte 0x{b:X2})");
    private static readonly string[] NotClientHelloErrors =
        BuildByteMessages(static b => $"not a ClientHello (handshake type {b})");

    public static ClientHelloResult Parse(ReadOnlySpan<byte> data)
    {
        // Pass 1: walk the record layer, validating every header, to learn the handshake message
        // length and how much of it is buffered. The 4-byte handshake header may itself be split
        // across records, so it is collected byte by byte.
        Span<byte> handshakeHeader = stackalloc byte[HandshakeHeaderLength];
        int headerBytes = 0;        // handshake header bytes collected so far
        int messageLength = -1;     // handshake header + body, once the header is complete
        int payload = 0;            // handshake bytes buffered, summed over records
        int offset = 0;             // start of the current record in data
        int records = 0;            // records (possibly the last one partial) holding the payload

        while (messageLength < 0 || payload < messageLength)
        {
            // Another record needs at least a header and one byte; it must still fit the limit.
            if (offset + RecordHeaderLength + 1 > MaxClientHelloBytes)
                return ClientHelloResult.Invalid("ClientHello records exceed the 64 KiB limit");

            int available = data.Length - offset;
            if (available < 1)
                return ClientHelloResult.NeedMore;

            // Check each header byte as soon as it arrives so non-TLS traffic is rejected at once.
            byte contentType = data[offset];
            if (contentType != ContentTypeHandshake)
            {
                if (records > 0)
                    return ClientHelloResult.Invalid("non-handshake record inside a fragmented ClientHello");
                if ((contentType & 0x80) != 0)
                    return ClientHelloResult.Invalid("SSLv2-style ClientHello is not supported");
                return ClientHelloResult.Invalid(NotHandshakeRecordErrors[contentType]);
            }
            if (available >= 2 && data[offset + 1] != 3)
                return ClientHelloResult.Invalid("unsupported record version (major is not 3)");
            if (available >= 3 && data[offset + 2] > 4)
                return ClientHelloResult.Invalid("unsupported record version (minor above 4)");
            if (available < RecordHeaderLength)
                return ClientHelloResult.NeedMore;

            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + 3, 2));
            if (recordLength == 0)
                return ClientHelloResult.Invalid("empty handshake record");
            if (recordLength > MaxRecordLength)
                return ClientHelloResult.Invalid("record length exceeds 16384");
            if (offset + RecordHeaderLength + recordLength > MaxClientHelloBytes)
                return ClientHelloResult.Invalid("ClientHello records exceed the 64 KiB limit");

            int fragmentLength = Math.Min(recordLength, available - RecordHeaderLength);
            ReadOnlySpan<byte> fragment = data.Slice(offset + RecordHeaderLength, fragmentLength);

            for (int i = 0; headerBytes < HandshakeHeaderLength && i < fragment.Length; i++)
            {
                handshakeHeader[headerBytes++] = fragment[i];
                if (headerBytes == 1 && handshakeHeader[0] != HandshakeTypeClientHello)
                    return ClientHelloResult.Invalid(NotClientHelloErrors[handshakeHeader[0]]);
            }

            if (messageLength < 0 && headerBytes == HandshakeHeaderLength)
            {
                int bodyLength = (handshakeHeader[1] << 16) | (handshakeHeader[2] << 8) | handshakeHeader[3];
                // Even in a single record the hello plus its record header must fit the limit.
                if (RecordHeaderLength + HandshakeHeaderLength + bodyLength > MaxClientHelloBytes)
                    return ClientHelloResult.Invalid("ClientHello length exceeds the 64 KiB limit");
                messageLength = HandshakeHeaderLength + bodyLength;
            }

            // Nothing may follow the ClientHello inside its last record (RFC 8446 5.1: a message
            // preceding a key change must end on a record boundary; a client has nothing else to send).
            if (messageLength >= 0 && messageLength < payload + recordLength)
                return ClientHelloResult.Invalid("unexpected data after ClientHello in its record");

            payload += fragmentLength;
            records++;
            if (fragmentLength < recordLength)
                break; // this record is still arriving
            offset += RecordHeaderLength + recordLength;
        }

        if (messageLength < 0)
            return ClientHelloResult.NeedMore; // handshake header itself not complete yet

        int declaredBody = messageLength - HandshakeHeaderLength;
        int bufferedBody = Math.Min(payload, messageLength) - HandshakeHeaderLength;

        // Common case: the whole hello sits in the first record, so parse it in place.
        if (records == 1)
            return ParseBody(data.Slice(RecordHeaderLength + HandshakeHeaderLength, bufferedBody), declaredBody);

        // Pass 2: concatenate the fragments. A partial body is reassembled too, so malformed
        // fields are reported as soon as they arrive instead of after 64 KiB.
        byte[]? rented = null;
        Span<byte> buffer = bufferedBody <= StackBufferSize
            ? stackalloc byte[StackBufferSize]
            : (rented = ArrayPool<byte>.Shared.Rent(bufferedBody));
        try
        {
            Span<byte> body = buffer.Slice(0, bufferedBody);
            CopyHandshakeBody(data, body);
            return ParseBody(body, declaredBody);
        }
        finally
        {
            if (rented is not null)
                ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>Copies the handshake body (payload minus its 4-byte header) out of records already validated by pass 1.</summary>
    private static void CopyHandshakeBody(ReadOnlySpan<byte> data, Span<byte> destination)
    {
        int skip = HandshakeHeaderLength;
        int written = 0;
        int offset = 0;
        while (written < destination.Length)
        {
            int recordLength = BinaryPrimitives.ReadUInt16BigEndian(data.Slice(offset + 3, 2));
            int fragmentLength = Math.Min(recordLength, data.Length - offset - RecordHeaderLength);
            ReadOnlySpan<byte> fragment = data.Slice(offset + RecordHeaderLength, fragmentLength);

            int skipped = Math.Min(skip, fragment.Length);
            fragment = fragment.Slice(skipped);
            skip -= skipped;

            int count = Math.Min(fragment.Length, destination.Length - written);
            fragment.Slice(0, count).CopyTo(destination.Slice(written));
            written += count;
            offset += RecordHeaderLength + recordLength;
        }
    }

    /// <summary>
    /// Parses a ClientHello body of <paramref name="length"/> declared bytes of which
    /// <paramref name="body"/> holds the buffered prefix.
    /// </summary>
    private static ClientHelloResult ParseBody(ReadOnlySpan<byte> body, int length)
    {
        int available = body.Length;
        int p = 0;
        ClientHelloResult result;

        // legacy_version(2) + random(32)
        if (Fails(Need(p, 34, length, available), "ClientHello too short for version and random", out result))
            return result;
        if (body[0] != 3 || body[1] > 4)
            return ClientHelloResult.Invalid("unsupported ClientHello version");
        p += 34;

        // legacy_session_id<0..32>
        if (Fails(Need(p, 1, length, available), "ClientHello ends before session_id", out result))
            return result;
        int sessionIdLength = body[p++];
        if (sessionIdLength > MaxSessionIdLength)
            return ClientHelloResult.Invalid("session_id longer than 32 bytes");
        if (Fails(Need(p, sessionIdLength, length, available), "session_id overruns ClientHello", out result))
            return result;
        p += sessionIdLength;

        // cipher_suites<2..2^16-2>, two bytes per suite
        if (Fails(Need(p, 2, length, available), "ClientHello ends before cipher_suites", out result))
            return result;
        int cipherSuitesLength = ReadUInt16(body, p);
        p += 2;
        if (cipherSuitesLength < 2 || (cipherSuitesLength & 1) != 0)
            return ClientHelloResult.Invalid("bad cipher_suites length");
        if (Fails(Need(p, cipherSuitesLength, length, available), "cipher_suites overrun ClientHello", out result))
            return result;
        p += cipherSuitesLength;

        // legacy_compression_methods<1..2^8-1>
        if (Fails(Need(p, 1, length, available), "ClientHello ends before compression_methods", out result))
            return result;
        int compressionLength = body[p++];
        if (compressionLength < 1)
            return ClientHelloResult.Invalid("empty compression_methods");
        if (Fails(Need(p, compressionLength, length, available), "compression_methods overrun ClientHello", out result))
            return result;
        p += compressionLength;

        // Extensions are optional in pre-TLS 1.3 hellos; no extensions means no SNI.
        if (p == length)
            return ClientHelloResult.Complete(null);

        if (Fails(Need(p, 2, length, available), "extensions length overruns ClientHello", out result))
            return result;
        int extensionsLength = ReadUInt16(body, p);
        p += 2;
        if (p + extensionsLength > length)
            return ClientHelloResult.Invalid("extensions overrun ClientHello");
        if (p + extensionsLength < length)
            return ClientHelloResult.Invalid("unexpected data after extensions");

        // Only remember where the host name is; the string is created once the whole hello is
        // known to be complete and valid, so NeedMoreData/Invalid results never allocate.
        int nameStart = -1;
        int nameLength = 0;
        bool sawServerName = false;
        while (p < length)
        {
            if (Fails(Need(p, 4, length, available), "extension header overruns extensions", out result))
                return result;
            int type = ReadUInt16(body, p);
            int extensionLength = ReadUInt16(body, p + 2);
            p += 4;
            if (Fails(Need(p, extensionLength, length, available), "extension overruns extensions", out result))
                return result;

            if (type == ExtensionServerName)
            {
                if (sawServerName)
                    return ClientHelloResult.Invalid("duplicate server_name extension");
                sawServerName = true;

                string? error = FindHostName(body.Slice(p, extensionLength), out int start, out nameLength);
                if (error is not null)
                    return ClientHelloResult.Invalid(error);
                if (start >= 0)
                    nameStart = p + start;
            }
            p += extensionLength;
        }

        return ClientHelloResult.Complete(nameStart < 0 ? null : ToHostNameString(body.Slice(nameStart, nameLength)));
    }

    /// <summary>
    /// Walks a server_name extension (RFC 6066 section 3) and locates the first host_name entry.
    /// Returns an error message, or null with <paramref name="start"/> = -1 if no host_name entry exists.
    /// </summary>
    private static string? FindHostName(ReadOnlySpan<byte> extension, out int start, out int length)
    {
        start = -1;
        length = 0;
        if (extension.Length < 2)
            return "server_name extension too short";
        int listLength = ReadUInt16(extension, 0);
        if (2 + listLength > extension.Length)
            return "server_name list overruns its extension";
        if (2 + listLength < extension.Length)
            return "unexpected data after server_name list";
        if (listLength == 0)
            return "empty server_name list";

        int q = 2;
        while (q < extension.Length)
        {
            if (q + 3 > extension.Length)
                return "server_name entry header overruns its list";
            byte nameType = extension[q];
            int nameLength = ReadUInt16(extension, q + 1);
            q += 3;
            if (q + nameLength > extension.Length)
                return "server_name entry overruns its list";

            // Later entries (other name types, or a repeated host_name) are skipped, not trusted.
            if (nameType == NameTypeHostName && start < 0)
            {
                string? error = ValidateHostName(extension.Slice(q, nameLength));
                if (error is not null)
                    return error;
                start = q;
                length = nameLength;
            }
            q += nameLength;
        }
        return null;
    }

    /// <summary>
    /// Accepts 1..255 bytes of letters, digits, '-', '_' and '.', with no empty labels and labels
    /// of at most 63 bytes; a single trailing dot (fully qualified form) is allowed.
    /// </summary>
    private static string? ValidateHostName(ReadOnlySpan<byte> name)
    {
        if (name.Length == 0)
            return "empty host name";
        if (name.Length > MaxHostNameLength)
            return "host name longer than 255 bytes";

        int labelLength = 0;
        foreach (byte c in name)
        {
            if (c == (byte)'.')
            {
                if (labelLength == 0)
                    return "host name has an empty label";
                labelLength = 0;
            }
            else if (char.IsAsciiLetterOrDigit((char)c) || c == (byte)'-' || c == (byte)'_')
            {
                if (++labelLength > MaxLabelLength)
                    return "host name label longer than 63 bytes";
            }
            else
            {
                return "host name contains an invalid character";
            }
        }
        return null;
    }

    /// <summary>Lower-cases an already validated host name and drops its trailing dot: the only allocation.</summary>
    private static string ToHostNameString(ReadOnlySpan<byte> name)
    {
        if (name[^1] == (byte)'.')
            name = name.Slice(0, name.Length - 1);
        Span<byte> lower = stackalloc byte[MaxHostNameLength];
        Ascii.ToLower(name, lower, out int written);
        return Encoding.ASCII.GetString(lower.Slice(0, written));
    }

    private enum Check { Ok, Truncated, Overrun }

    /// <summary>
    /// Whether <paramref name="count"/> bytes at <paramref name="position"/> fit the declared
    /// <paramref name="end"/> (else the hello is malformed) and have been received (else wait).
    /// </summary>
    private static Check Need(int position, int count, int end, int available) =>
        position + count > end ? Check.Overrun
        : position + count > available ? Check.Truncated
        : Check.Ok;

    private static bool Fails(Check check, string overrunError, out ClientHelloResult result)
    {
        result = check switch
        {
            Check.Truncated => ClientHelloResult.NeedMore,
            Check.Overrun => ClientHelloResult.Invalid(overrunError),
            _ => default,
        };
        return check != Check.Ok;
    }

    private static int ReadUInt16(ReadOnlySpan<byte> span, int offset) => (span[offset] << 8) | span[offset + 1];

    private static string[] BuildByteMessages(Func<int, string> format)
    {
        var messages = new string[256];
        for (int i = 0; i < messages.Length; i++)
            messages[i] = format(i);
        return messages;
    }
}
