namespace Drover.Core.Http1;

/// <summary>
/// Finds the end of a chunked body (RFC 9112 7.1) without copying it, so the proxy can relay the
/// bytes verbatim and know where the next message starts. Feed the bytes in any split; the state
/// carries over between calls. Chunk data is skipped in bulk; size lines and trailers are checked
/// byte by byte, strictly (bare LF, whitespace not followed by ';', or a malformed trailer field
/// is an error) because a lenient reader downstream could split the stream elsewhere.
/// </summary>
public struct ChunkedBodyScanner
{
    /// <summary>Limit on a chunk-size line including extensions and CRLF.</summary>
    public const int MaxChunkLineBytes = 4 * 1024;

    /// <summary>Limit on the trailer section including the final CRLF.</summary>
    public const int MaxTrailerBytes = 16 * 1024;

    private const int MaxSizeDigits = 16;

    private enum State : byte
    {
        Size,           // at the start of a chunk-size line or inside its hex digits
        SizeSpace,      // BWS after the size, which must lead to ';'
        Extension,      // after ';' up to CR
        SizeLf,
        Data,
        DataCr,
        DataLf,
        TrailerStart,   // at the start of a trailer line or of the final CRLF
        TrailerName,
        TrailerValue,
        TrailerLf,
        FinalLf,
        Done,
        Failed,
    }

    private State _state;
    private int _digits;
    private int _lineBytes;
    private int _trailerBytes;
    private ulong _remaining;

    public readonly bool IsComplete => _state == State.Done;

    public string? Error { get; private set; }

    /// <summary>Total body bytes accepted so far.</summary>
    public long BytesScanned { readonly get; private set; }

    /// <summary>Ready for a new body.</summary>
    public void Reset() => this = default;

    /// <summary>
    /// Returns how many bytes of <paramref name="data"/> belong to the body (fewer than its length
    /// only once the body is complete), or -1 on invalid framing with <see cref="Error"/> set.
    /// After completion it returns 0; after an error, -1.
    /// </summary>
    public int Scan(ReadOnlySpan<byte> data)
    {
        if (_state == State.Done)
            return 0;
        if (_state == State.Failed)
            return -1;

        int i = 0;
        while (i < data.Length && _state != State.Done)
        {
            if (_state == State.Data)
            {
                int take = (int)Math.Min(_remaining, (ulong)(data.Length - i));
                i += take;
                _remaining -= (ulong)take;
                if (_remaining == 0)
                    _state = State.DataCr;
                continue;
            }

            byte b = data[i++];
            if (_state <= State.SizeLf && ++_lineBytes > MaxChunkLineBytes)
                return Fail("chunk-size line exceeds 4 KiB");
            if (_state >= State.TrailerStart && ++_trailerBytes > MaxTrailerBytes)
                return Fail("trailer section exceeds 16 KiB");

            switch (_state)
            {
                case State.Size:
                    int hex = HexValue(b);
                    if (hex >= 0)
                    {
                        if (_digits == MaxSizeDigits)
                            return Fail("chunk size longer than 16 hex digits");
                        _remaining = (_remaining << 4) | (uint)hex;
                        _digits++;
                    }
                    else if (_digits == 0)
                        return Fail("chunk size is not a hex number");
                    else if (b == Http1Syntax.CR)
                        _state = State.SizeLf;
                    else if (b == (byte)';')
                        _state = State.Extension;
                    else if (b is Http1Syntax.SP or Http1Syntax.HTAB)
                        _state = State.SizeSpace;
                    else
                        return Fail(b == Http1Syntax.LF ? "bare LF" : "invalid character after chunk size");
                    break;

                case State.SizeSpace:
                    if (b == (byte)';')
                        _state = State.Extension;
                    else if (b is not (Http1Syntax.SP or Http1Syntax.HTAB))
                        return Fail("whitespace after chunk size without an extension");
                    break;

                case State.Extension:
                    if (b == Http1Syntax.CR)
                        _state = State.SizeLf;
                    else if (!IsTextByte(b))
                        return Fail(b == Http1Syntax.LF ? "bare LF" : "control character in chunk extension");
                    break;

                case State.SizeLf:
                    if (b != Http1Syntax.LF)
                        return Fail("CR not followed by LF");
                    _lineBytes = 0;
                    _digits = 0;
                    _state = _remaining == 0 ? State.TrailerStart : State.Data;
                    break;

                case State.DataCr:
                    if (b != Http1Syntax.CR)
                        return Fail("missing CRLF after chunk data");
                    _state = State.DataLf;
                    break;

                case State.DataLf:
                    if (b != Http1Syntax.LF)
                        return Fail("missing CRLF after chunk data");
                    _state = State.Size;
                    break;

                case State.TrailerStart:
                    if (b == Http1Syntax.CR)
                        _state = State.FinalLf;
                    else if (Http1Syntax.IsTchar(b))
                        _state = State.TrailerName;
                    else
                        return Fail(b is Http1Syntax.SP or Http1Syntax.HTAB ? "obs-fold in trailer"
                            : b == Http1Syntax.LF ? "bare LF" : "invalid trailer field name");
                    break;

                case State.TrailerName:
                    if (b == (byte)':')
                        _state = State.TrailerValue;
                    else if (!Http1Syntax.IsTchar(b))
                        return Fail(b == Http1Syntax.LF ? "bare LF" : "invalid trailer field name");
                    break;

                case State.TrailerValue:
                    if (b == Http1Syntax.CR)
                        _state = State.TrailerLf;
                    else if (!IsTextByte(b))
                        return Fail(b == Http1Syntax.LF ? "bare LF" : "control character in trailer field");
                    break;

                case State.TrailerLf:
                    if (b != Http1Syntax.LF)
                        return Fail("CR not followed by LF");
                    _state = State.TrailerStart;
                    break;

                case State.FinalLf:
                    if (b != Http1Syntax.LF)
                        return Fail("CR not followed by LF");
                    _state = State.Done;
                    break;
            }
        }
        BytesScanned += i;
        return i;
    }

    private static int HexValue(byte b)
    {
        if ((uint)(b - '0') <= 9)
            return b - '0';
        int lower = b | 0x20;
        if ((uint)(lower - 'a') <= 'f' - 'a')
            return lower - 'a' + 10;
        return -1;
    }

    // HTAB, SP, VCHAR, obs-text: what quoted strings and field values may hold.
    private static bool IsTextByte(byte b) => b == Http1Syntax.HTAB || (b >= 0x20 && b != 0x7F);

    private int Fail(string error)
    {
        _state = State.Failed;
        Error = error;
        return -1;
    }
}
