using System.Buffers;
using System.Buffers.Binary;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Drover.Core.Sessions;

/// <summary>
/// Encodes and verifies Drover's session cookie. The value is base64url of
/// <c>version(1) | issued-at(4, unix seconds) | session id(16) | hint length(1) | hint | tag(16)</c>,
/// where the tag is HMAC-SHA256 (truncated to 128 bits) over the pool name and everything before it,
/// keyed by a key derived from the cluster secret. Binding the pool name means a cookie of one pool
/// is worthless in another. Verification compares tags in constant time, and any value that is not a
/// well-formed, correctly signed cookie is simply "no cookie": never trusted, never an exception.
/// </summary>
public sealed class SessionCookieCodec
{
    public const int IdBytes = 16;
    public const int MaxHintBytes = 64;
    private const byte Version = 1;
    private const int TagBytes = 16;
    private const int HeaderBytes = 1 + 4 + IdBytes + 1;
    private const int MaxBytes = HeaderBytes + MaxHintBytes + TagBytes;
    private const int MaxChars = (MaxBytes * 4 + 2) / 3;
    private const int MaxPoolBytes = 256;

    private readonly byte[] _key;

    public SessionCookieCodec(string secret)
    {
        ArgumentException.ThrowIfNullOrEmpty(secret);
        // A key for this purpose only, so the secret can sign other things later without cross-use.
        _key = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), "drover session cookie v1"u8);
    }

    /// <summary>A new random session id (128 bits), as the base64url text used as the sticky key.</summary>
    public static string NewSessionId()
    {
        Span<byte> id = stackalloc byte[IdBytes];
        RandomNumberGenerator.Fill(id);
        return Base64Url.EncodeToString(id);
    }

    /// <summary>The cookie value for session <paramref name="sessionId"/> (from <see cref="NewSessionId"/>) bound to <paramref name="hint"/>.</summary>
    public string Encode(string pool, string sessionId, string hint, long issuedAtSeconds)
    {
        var hintLength = Encoding.UTF8.GetByteCount(hint);
        if (hintLength > MaxHintBytes) throw new ArgumentException($"a backend id longer than {MaxHintBytes} bytes cannot be a cookie hint", nameof(hint));
        Span<byte> buffer = stackalloc byte[MaxBytes];
        buffer[0] = Version;
        BinaryPrimitives.WriteUInt32BigEndian(buffer[1..], (uint)Math.Clamp(issuedAtSeconds, 0, uint.MaxValue));
        if (!TryDecodeBase64Url(sessionId, buffer.Slice(5, IdBytes), out var idLength) || idLength != IdBytes)
            throw new ArgumentException("not a session id from NewSessionId", nameof(sessionId));
        buffer[HeaderBytes - 1] = (byte)hintLength;
        Encoding.UTF8.GetBytes(hint, buffer[HeaderBytes..]);
        var signed = HeaderBytes + hintLength;
        if (!TryTag(pool, buffer[..signed], buffer.Slice(signed, TagBytes)))
            throw new ArgumentException($"a pool name longer than {MaxPoolBytes} bytes cannot sign a cookie", nameof(pool));
        return Base64Url.EncodeToString(buffer[..(signed + TagBytes)]);
    }

    /// <summary>Verifies a cookie value for <paramref name="pool"/>; false for anything forged, tampered with, truncated or malformed.</summary>
    public bool TryDecode(string pool, ReadOnlySpan<char> value, out SessionCookie cookie)
    {
        cookie = default;
        if (value.Length is 0 or > MaxChars) return false;
        Span<byte> buffer = stackalloc byte[MaxBytes];
        if (!TryDecodeBase64Url(value, buffer, out var length)) return false;
        if (length < HeaderBytes + TagBytes || buffer[0] != Version) return false;
        var hintLength = buffer[HeaderBytes - 1];
        var signed = HeaderBytes + hintLength;
        if (hintLength > MaxHintBytes || length != signed + TagBytes) return false;

        Span<byte> expected = stackalloc byte[TagBytes];
        if (!TryTag(pool, buffer[..signed], expected)) return false;
        if (!CryptographicOperations.FixedTimeEquals(expected, buffer.Slice(signed, TagBytes))) return false;

        // Signed by us, so well-formed; still, a hint must look like a backend id.
        var hint = buffer.Slice(HeaderBytes, hintLength);
        foreach (var b in hint)
            if (!(char.IsAsciiLetterOrDigit((char)b) || b is (byte)'-' or (byte)'_' or (byte)'.')) return false;
        cookie = new SessionCookie(
            Base64Url.EncodeToString(buffer.Slice(5, IdBytes)),
            Encoding.ASCII.GetString(hint),
            BinaryPrimitives.ReadUInt32BigEndian(buffer[1..]));
        return true;
    }

    // Base64Url.TryDecodeFromChars throws on characters outside the alphabet; the OperationStatus form never throws.
    private static bool TryDecodeBase64Url(ReadOnlySpan<char> text, Span<byte> destination, out int written) =>
        Base64Url.DecodeFromChars(text, destination, out var consumed, out written) == OperationStatus.Done && consumed == text.Length;

    private bool TryTag(string pool, ReadOnlySpan<byte> signed, Span<byte> tag)
    {
        var poolLength = Encoding.UTF8.GetByteCount(pool);
        if (poolLength > MaxPoolBytes) return false;
        Span<byte> input = stackalloc byte[MaxPoolBytes + 1 + MaxBytes];
        Encoding.UTF8.GetBytes(pool, input);
        input[poolLength] = 0;
        signed.CopyTo(input[(poolLength + 1)..]);
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        HMACSHA256.HashData(_key, input[..(poolLength + 1 + signed.Length)], mac);
        mac[..TagBytes].CopyTo(tag);
        return true;
    }
}
