using Drover.Core.Balancing;
using Xunit;

namespace Drover.Core.Tests.Balancing;

public class HashKeyTests
{
    [Theory]
    [InlineData("client-ip", HashKeySource.ClientIp, null)]
    [InlineData(" Client-IP ", HashKeySource.ClientIp, null)]
    [InlineData("path", HashKeySource.Path, null)]
    [InlineData("header:X-User", HashKeySource.Header, "X-User")]
    [InlineData("Header: X-User ", HashKeySource.Header, "X-User")]
    [InlineData("cookie:SID", HashKeySource.Cookie, "SID")]
    public void TryParse_Accepts(string text, HashKeySource source, string? name)
    {
        Assert.True(HashKey.TryParse(text, out var key, out var error));
        Assert.Equal("", error);
        Assert.Equal(new HashKey(source, name), key);
    }

    [Theory]
    [InlineData("header:", "header name is empty or not a valid token")]
    [InlineData("cookie:bad name", "cookie name is empty or not a valid token")]
    [InlineData("header:a;b", "header name is empty or not a valid token")]
    [InlineData("foo", "unknown hash key 'foo'")]
    [InlineData("query:x", "unknown hash key 'query:x'")]
    [InlineData(":x", "unknown hash key ':x'")]
    [InlineData("", "unknown hash key ''")]
    [InlineData(null, "unknown hash key ''")]
    public void TryParse_RejectsWithAMessage(string? text, string message)
    {
        Assert.False(HashKey.TryParse(text, out _, out var error));
        Assert.Contains(message, error);
    }

    [Theory]
    [InlineData("client-ip")]
    [InlineData("path")]
    [InlineData("header:X-User")]
    [InlineData("cookie:SID")]
    public void ToString_RoundTrips(string text)
    {
        Assert.True(HashKey.TryParse(text, out var key, out _));
        Assert.Equal(text, key.ToString());
    }
}
