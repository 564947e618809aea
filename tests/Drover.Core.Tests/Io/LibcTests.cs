using System.Net;
using System.Net.Sockets;
using Drover.Core.Io;
using Xunit;

namespace Drover.Core.Tests.Io;

public sealed class LibcTests
{
    [Theory]
    [InlineData(104, SocketError.ConnectionReset)]
    [InlineData(111, SocketError.ConnectionRefused)]
    [InlineData(99, SocketError.AddressNotAvailable)]
    [InlineData(24, SocketError.TooManyOpenSockets)]
    public void Errnos_map_to_the_socket_errors_dotnet_users_know(int errno, SocketError expected) =>
        Assert.Equal(expected, Libc.SocketError(errno).SocketErrorCode);

    [Fact]
    public void An_errno_without_an_equivalent_keeps_its_number_and_text()
    {
        var ex = Libc.SocketError(71); // EPROTO
        Assert.Equal(SocketError.SocketError, ex.SocketErrorCode);
        Assert.Contains("errno 71", ex.Message);
        Assert.Contains("rotocol", ex.Message); // "Protocol error"
    }

    [Theory]
    [InlineData("10.1.2.3", 8080)]
    [InlineData("fe80::1%3", 443)]
    [InlineData("::1", 1)]
    public void Socket_addresses_round_trip(string address, int port)
    {
        var endPoint = new IPEndPoint(IPAddress.Parse(address), port);
        var bytes = new byte[28];
        var length = Libc.WriteSocketAddress(endPoint, bytes);
        Assert.Equal(endPoint, Libc.ReadSocketAddress(bytes.AsSpan(0, length)));
    }
}
