using System.Net;
using System.Net.Sockets;
using Drover.Core.Net;
using Xunit;

namespace Drover.Core.Tests.Net;

public class HostPortTests
{
    [Theory]
    [InlineData("127.0.0.1:80", "127.0.0.1", 80)]
    [InlineData("[::1]:8080", "::1", 8080)]
    [InlineData("example.org:443", "example.org", 443)]
    [InlineData("*:8080", "*", 8080)]
    [InlineData(" localhost:65535 ", "localhost", 65535)]
    [InlineData("my_host-1.internal:1", "my_host-1.internal", 1)]
    [InlineData("[::]:9000", "::", 9000)]
    public void TryParse_Valid(string text, string host, int port)
    {
        Assert.True(HostPort.TryParse(text, out var result, out var error));
        Assert.Equal("", error);
        Assert.Equal(new HostPort(host, port), result);
    }

    [Theory]
    [InlineData("127.0.0.1", "is not host:port")]
    [InlineData("127.0.0.1:0", "is not a number from 1 to 65535")]
    [InlineData(":80", "is not host:port")]
    [InlineData("host:70000", "port '70000'")]
    [InlineData("host:65536", "port '65536'")]
    [InlineData("host:abc", "port 'abc'")]
    [InlineData("host:-1", "port '-1'")]
    [InlineData("host:+80", "port '+80'")]
    [InlineData("host:", "port ''")]
    [InlineData("::1:80", "IPv6 addresses go in brackets")]
    [InlineData("[::1]", "is not [ipv6]:port")]
    [InlineData("[::1]80", "is not [ipv6]:port")]
    [InlineData("[127.0.0.1]:80", "is not an IPv6 address")]
    [InlineData("300.1.1.1:80", "'300.1.1.1' is not a valid host name or IPv4 address")]
    [InlineData("1.2.3:80", "'1.2.3' is not a valid host name or IPv4 address")]
    [InlineData("bad host:80", "'bad host' is not a valid host name or IPv4 address")]
    [InlineData("a..b:80", "'a..b' is not a valid host name")]
    [InlineData("", "is empty")]
    [InlineData("   ", "is empty")]
    [InlineData(null, "is empty")]
    public void TryParse_Invalid_WithAMessage(string? text, string message)
    {
        Assert.False(HostPort.TryParse(text, out var result, out var error));
        Assert.Null(result);
        Assert.Contains(message, error);
    }

    [Fact]
    public void PortZero_OnlyWhenAllowed()
    {
        Assert.False(HostPort.TryParse("127.0.0.1:0", out _, out _));
        Assert.True(HostPort.TryParse("127.0.0.1:0", out var bind, out var error, allowPortZero: true));
        Assert.Equal("", error);
        Assert.Equal(new HostPort("127.0.0.1", 0), bind);
        Assert.False(HostPort.TryParse("127.0.0.1:-1", out _, out var negative, allowPortZero: true));
        Assert.Contains("from 0 to 65535", negative);
    }

    [Theory]
    [InlineData("127.0.0.1", 80, "127.0.0.1", AddressFamily.InterNetwork)]
    [InlineData("::1", 8080, "::1", AddressFamily.InterNetworkV6)]
    [InlineData("localhost", 9000, "127.0.0.1", AddressFamily.InterNetwork)]
    [InlineData("LocalHost", 9000, "127.0.0.1", AddressFamily.InterNetwork)]
    [InlineData("*", 8080, "0.0.0.0", AddressFamily.InterNetwork)]
    public void ToEndPoint_LiteralsAndLocalhost_AreIpEndPoints(string host, int port, string address, AddressFamily family)
    {
        var endPoint = Assert.IsType<IPEndPoint>(new HostPort(host, port).ToEndPoint());

        Assert.Equal(IPAddress.Parse(address), endPoint.Address);
        Assert.Equal(family, endPoint.AddressFamily);
        Assert.Equal(port, endPoint.Port);
    }

    [Fact]
    public void ToEndPoint_Names_StayDnsEndPoints()
    {
        var endPoint = Assert.IsType<DnsEndPoint>(new HostPort("backend.example.org", 443).ToEndPoint());

        Assert.Equal("backend.example.org", endPoint.Host);
        Assert.Equal(443, endPoint.Port);
    }

    [Theory]
    [InlineData("127.0.0.1", 80, "127.0.0.1:80")]
    [InlineData("::1", 8080, "[::1]:8080")]
    [InlineData("example.org", 443, "example.org:443")]
    public void Authority_BracketsIPv6(string host, int port, string authority)
    {
        var hostPort = new HostPort(host, port);

        Assert.Equal(authority, hostPort.Authority);
        Assert.Equal(authority, hostPort.ToString());
        Assert.True(HostPort.TryParse(authority, out var parsed, out _));
        Assert.Equal(hostPort, parsed);
    }

    [Theory]
    [InlineData("*", true)]
    [InlineData("0.0.0.0", true)]
    [InlineData("::", true)]
    [InlineData("127.0.0.1", false)]
    [InlineData("example.org", false)]
    public void IsAnyAddress(string host, bool expected)
    {
        Assert.Equal(expected, new HostPort(host, 80).IsAnyAddress);
    }
}
