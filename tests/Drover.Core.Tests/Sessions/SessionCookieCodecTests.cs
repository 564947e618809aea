using System.Buffers.Text;
using Drover.Core.Sessions;

namespace Drover.Core.Tests.Sessions;

public sealed class SessionCookieCodecTests
{
    private const string Secret = "correct horse battery staple";
    private readonly SessionCookieCodec _codec = new(Secret);

    [Fact]
    public void A_cookie_round_trips_its_session_id_hint_and_issue_time()
    {
        var id = SessionCookieCodec.NewSessionId();
        var value = _codec.Encode("web", id, "b-2.x_y", 1_700_000_000);
        Assert.True(_codec.TryDecode("web", value, out var cookie));
        Assert.Equal(new SessionCookie(id, "b-2.x_y", 1_700_000_000), cookie);
        Assert.Equal(22, id.Length);
        Assert.All(value, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_', $"'{c}' is not base64url"));
    }

    [Fact]
    public void Session_ids_are_random()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => SessionCookieCodec.NewSessionId()).ToHashSet();
        Assert.Equal(1000, ids.Count);
    }

    [Fact]
    public void A_cookie_of_another_pool_or_signed_with_another_secret_is_rejected()
    {
        var value = _codec.Encode("web", SessionCookieCodec.NewSessionId(), "b1", 1);
        Assert.False(_codec.TryDecode("api", value, out _));
        Assert.False(new SessionCookieCodec(Secret + "!").TryDecode("web", value, out _));
    }

    [Fact]
    public void Changing_any_bit_of_a_cookie_is_detected()
    {
        var value = _codec.Encode("web", SessionCookieCodec.NewSessionId(), "b1", 1_700_000_000);
        var bytes = Base64Url.DecodeFromChars(value);
        for (var i = 0; i < bytes.Length; i++)
            for (var bit = 0; bit < 8; bit++)
            {
                var changed = (byte[])bytes.Clone();
                changed[i] ^= (byte)(1 << bit);
                Assert.False(_codec.TryDecode("web", Base64Url.EncodeToString(changed), out _), $"byte {i} bit {bit} flipped and still accepted");
            }
    }

    [Fact]
    public void A_forged_cookie_naming_another_backend_is_rejected()
    {
        // Same layout, attacker's own key: the hint points wherever the attacker likes, the tag cannot match.
        var forged = new SessionCookieCodec("attacker's guess at the secret").Encode("web", SessionCookieCodec.NewSessionId(), "b3", 1);
        Assert.False(_codec.TryDecode("web", forged, out _));
    }

    [Fact]
    public void Truncated_extended_and_empty_cookies_are_rejected()
    {
        var value = _codec.Encode("web", SessionCookieCodec.NewSessionId(), "b1", 1);
        for (var length = 0; length < value.Length; length++)
            Assert.False(_codec.TryDecode("web", value.AsSpan(0, length), out _), $"prefix of {length} chars accepted");
        Assert.False(_codec.TryDecode("web", value + "A", out _));
        Assert.False(_codec.TryDecode("web", value + "AAAA", out _));
        Assert.False(_codec.TryDecode("web", new string('A', 10_000), out _));
    }

    [Fact]
    public void Fuzzed_garbage_is_never_accepted_and_never_throws()
    {
        var random = new Random(5);
        var alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/ ;\"\\%\u00e9\u4e2d\0";
        for (var i = 0; i < 20_000; i++)
        {
            var length = random.Next(0, 200);
            var chars = new char[length];
            for (var c = 0; c < length; c++) chars[c] = i % 2 == 0 ? alphabet[random.Next(alphabet.Length)] : (char)random.Next(0, 0x3000);
            Assert.False(_codec.TryDecode("web", chars, out _));
        }
        // Random well-formed base64url of every plausible length, including a version byte of 1.
        for (var i = 0; i < 20_000; i++)
        {
            var bytes = new byte[random.Next(1, 120)];
            random.NextBytes(bytes);
            bytes[0] = 1;
            Assert.False(_codec.TryDecode("web", Base64Url.EncodeToString(bytes), out _));
        }
    }

    [Fact]
    public void Encoding_rejects_what_could_not_be_decoded()
    {
        Assert.Throws<ArgumentException>(() => _codec.Encode("web", "not-an-id", "b1", 1));
        Assert.Throws<ArgumentException>(() => _codec.Encode("web", SessionCookieCodec.NewSessionId(), new string('b', 65), 1));
        Assert.Throws<ArgumentException>(() => new SessionCookieCodec(""));
    }
}
