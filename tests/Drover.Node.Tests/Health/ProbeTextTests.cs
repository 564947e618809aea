using System.Net.Sockets;
using Drover.Node.Health;

namespace Drover.Node.Tests.Health;

public sealed class ProbeTextTests
{
    [Theory]
    [InlineData(1000, "1s")]
    [InlineData(1500, "1.5s")]
    [InlineData(250, "250ms")]
    [InlineData(0, "0ms")]
    [InlineData(120000, "120s")]
    public void Durations_are_short(int ms, string expected) =>
        Assert.Equal(expected, ProbeText.Duration(TimeSpan.FromMilliseconds(ms)));

    [Fact]
    public void The_socket_error_decides_however_deeply_it_is_wrapped()
    {
        var refused = new HttpRequestException(HttpRequestError.ConnectionError, "x",
            new IOException("y", new SocketException((int)SocketError.ConnectionRefused)));
        Assert.Equal("connect refused", ProbeText.Describe(refused));
        Assert.Equal("connection closed before a response",
            ProbeText.Describe(new HttpRequestException(HttpRequestError.ResponseEnded, "ended")));
        Assert.Equal("odd", ProbeText.Describe(new InvalidOperationException("outer", new Exception("odd"))));
    }
}
