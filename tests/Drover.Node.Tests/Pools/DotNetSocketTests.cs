using System.Net;
using System.Net.Sockets;
using Drover.Node.Pools;
using Xunit;

namespace Drover.Node.Tests.Pools;

/// <summary>The .NET-sockets engine's backend socket (drover.io.engine = sockets) against a real loopback peer.</summary>
public sealed class DotNetSocketTests
{
    [Fact]
    public async Task Acknowledging_now_takes_the_socket_out_of_delayed_ack_mode_and_is_harmless_once_closed()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(listener.LocalEndPoint!).WaitAsync(TimeSpan.FromSeconds(10));
        using var accepted = await listener.AcceptAsync().WaitAsync(TimeSpan.FromSeconds(10));
        var socket = new DotNetSocket(client);
        var option = new byte[4];
        int QuickAck()
        {
            client.GetRawSocketOption(6 /* IPPROTO_TCP */, 12 /* TCP_QUICKACK */, option);
            return BitConverter.ToInt32(option);
        }
        client.SetRawSocketOption(6, 12, BitConverter.GetBytes(0)); // delayed ACKs, as a kept-alive connection ends up
        Assert.Equal(0, QuickAck());

        socket.AcknowledgeNow();

        Assert.Equal(1, QuickAck());
        socket.Dispose();
        socket.AcknowledgeNow(); // closed: no exception
    }
}
