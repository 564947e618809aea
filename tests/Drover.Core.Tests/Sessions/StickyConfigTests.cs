using Drover.Core.Sessions;

namespace Drover.Core.Tests.Sessions;

public sealed class StickyConfigTests
{
    [Theory]
    [InlineData("off", StickyMode.Off, null)]
    [InlineData("cookie", StickyMode.Cookie, null)]
    [InlineData(" Client-IP ", StickyMode.ClientIp, null)]
    [InlineData("header:X-User", StickyMode.Header, "X-User")]
    [InlineData("header: X-User ", StickyMode.Header, "X-User")]
    [InlineData("learn-cookie:JSESSIONID", StickyMode.LearnCookie, "JSESSIONID")]
    public void Parses_every_mode(string text, StickyMode mode, string? name)
    {
        Assert.True(StickyConfig.TryParseMode(text, out var parsed, out var parsedName, out var error), error);
        Assert.Equal((mode, name), (parsed, parsedName));
        Assert.Equal(text.Trim().Replace(": ", ":").ToLowerInvariant(), new StickyConfig(parsed, parsedName).ModeText.ToLowerInvariant());
    }

    [Theory]
    [InlineData("", "unknown sticky mode")]
    [InlineData("cookies", "unknown sticky mode")]
    [InlineData("header:", "name is empty")]
    [InlineData("header:X User", "not a valid token")]
    [InlineData("learn-cookie:", "name is empty")]
    [InlineData("path", "unknown sticky mode")]
    public void Rejects_bad_modes_with_a_reason(string text, string reason)
    {
        Assert.False(StickyConfig.TryParseMode(text, out _, out _, out var error));
        Assert.Contains(reason, error);
    }

    [Fact]
    public void Validates_ttl_and_cookie_name()
    {
        var errors = new StickyConfig(StickyMode.Cookie) { Ttl = TimeSpan.FromMilliseconds(500), CookieName = "bad name" }.Validate("drover.pools.p.sticky").ToList();
        Assert.Equal(["drover.pools.p.sticky.ttl", "drover.pools.p.sticky.cookie-name"], errors.Select(e => e.Path));
        Assert.Empty(new StickyConfig(StickyMode.Cookie).Validate("x"));
        Assert.Equal((StickyMode.Off, "DROVER", TimeSpan.FromMinutes(30)), (StickyConfig.Off.Mode, StickyConfig.Off.CookieName, StickyConfig.Off.Ttl));
    }
}
