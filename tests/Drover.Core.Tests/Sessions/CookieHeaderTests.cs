using Drover.Core.Sessions;

namespace Drover.Core.Tests.Sessions;

public sealed class CookieHeaderTests
{
    [Theory]
    [InlineData("SID=abc", "SID", "abc")]
    [InlineData("a=1; SID=abc; b=2", "SID", "abc")]
    [InlineData("a=1;SID=abc", "SID", "abc")]
    [InlineData("  SID = abc  ;b=2", "SID", "abc")]
    [InlineData("SID=\"quoted value\"", "SID", "quoted value")]
    [InlineData("SID=first; SID=second", "SID", "first")]
    [InlineData("SID=a=b", "SID", "a=b")]
    [InlineData("junk; SID=abc", "SID", "abc")]
    public void Finds_a_cookie_by_name(string header, string name, string expected)
    {
        Assert.True(CookieHeader.TryGetValue(header, name, out var value));
        Assert.Equal(expected, value.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("sid=abc")] // names are case-sensitive
    [InlineData("XSID=abc")]
    [InlineData("SIDX=abc")]
    [InlineData("=abc; SID")]
    [InlineData(";;;")]
    public void Misses_a_cookie_that_is_not_there(string header) => Assert.False(CookieHeader.TryGetValue(header, "SID", out _));

    [Fact]
    public void Reads_a_set_cookie_header_and_whether_it_deletes()
    {
        var now = new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);
        Assert.True(CookieHeader.TryParseSetCookie("SID=abc; Path=/; HttpOnly", now, out var name, out var value, out var deletes));
        Assert.Equal(("SID", "abc", false), (name.ToString(), value.ToString(), deletes));

        Assert.True(CookieHeader.TryParseSetCookie("SID=; Max-Age=0", now, out _, out value, out deletes));
        Assert.True(deletes);
        Assert.True(value.IsEmpty);
        Assert.True(CookieHeader.TryParseSetCookie("SID=x; expires=Thu, 01 Jan 1970 00:00:00 GMT", now, out _, out _, out deletes));
        Assert.True(deletes);
        Assert.True(CookieHeader.TryParseSetCookie("SID=x; Expires=Wed, 01 Jan 2031 00:00:00 GMT; Max-Age=60", now, out _, out _, out deletes));
        Assert.False(deletes);
        Assert.False(CookieHeader.TryParseSetCookie("no-equals-sign; Path=/", now, out _, out _, out _));
    }

    [Fact]
    public void Fuzzed_headers_never_throw()
    {
        var random = new Random(7);
        const string alphabet = "SID=;\" ,abcMax-Age0Expires=\t";
        for (var i = 0; i < 20_000; i++)
        {
            var chars = new char[random.Next(0, 60)];
            for (var c = 0; c < chars.Length; c++) chars[c] = alphabet[random.Next(alphabet.Length)];
            CookieHeader.TryGetValue(chars, "SID", out _);
            CookieHeader.TryParseSetCookie(chars, DateTimeOffset.UnixEpoch, out _, out _, out _);
        }
    }
}
