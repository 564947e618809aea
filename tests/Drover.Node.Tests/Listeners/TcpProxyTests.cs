using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Drover.Core.Io;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Listeners;

/// <summary>The L4 listener end to end, with raw sockets, on both socket engines (drover.io.engine).</summary>
public sealed class TcpProxyTests
{
    private static string TcpNode(string pool, int idleSeconds = 30, string engine = "epoll") => $$"""
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p { {{pool}}, timeouts { connect = 1s, idle = {{idleSeconds}}s } }
          io.engine = {{engine}}
        }
        """;

    private static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0) received.Write(buffer, 0, read);
        return received.ToArray();
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Bytes_flow_both_ways_and_a_half_close_is_passed_on(string engine)
    {
        await using var echo = new TcpEchoServer(trailer: "END\n");
        await using var node = await TestNode.StartAsync(TcpNode($"""backends = [ {"{"} id = e, address = "{echo.EndPoint}" {"}"} ]""", engine: engine));

        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(node.Runtime.ListenerEndPoint("raw"));
        var payload = RandomNumberGenerator.GetBytes(3 * 1024 * 1024);
        var reading = ReadToEndAsync(client, TimeSpan.FromSeconds(20));
        for (var offset = 0; offset < payload.Length;)
            offset += await client.SendAsync(payload.AsMemory(offset, Math.Min(100_000, payload.Length - offset)), SocketFlags.None);
        // Half-close: we are done sending but still want the rest of the answer.
        client.Shutdown(SocketShutdown.Send);

        var received = await reading;
        Assert.Equal(payload.Length + 4, received.Length);
        Assert.True(received.AsSpan(0, payload.Length).SequenceEqual(payload));
        // The trailer is sent by the backend only after it saw our EOF: proof the half-close reached it.
        Assert.Equal("END\n", Encoding.ASCII.GetString(received, payload.Length, 4));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task A_backend_that_refuses_is_skipped_for_the_next(string engine)
    {
        await using var echo = new TcpEchoServer();
        var dead = FreePort.Next();
        await using var node = await TestNode.StartAsync(TcpNode(
            $$"""backends = [ { id = dead, address = "127.0.0.1:{{dead}}" }, { id = live, address = "{{echo.EndPoint}}" } ]""", engine: engine));

        for (var i = 0; i < 4; i++)
        {
            using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(node.Runtime.ListenerEndPoint("raw"));
            await client.SendAsync("ping"u8.ToArray(), SocketFlags.None);
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal("ping", Encoding.ASCII.GetString(await ReadToEndAsync(client, TimeSpan.FromSeconds(5))));
        }
        Assert.Equal(4, echo.Accepted);
        Assert.True(node.Runtime.Pools["p"].Snapshot.Backends.Single(b => b.Id == "dead").Failures >= 2);
    }

    [Fact]
    public async Task No_backend_reachable_closes_the_client_connection()
    {
        var dead = FreePort.Next();
        await using var node = await TestNode.StartAsync(TcpNode($$"""backends = [ { id = dead, address = "127.0.0.1:{{dead}}" } ]"""));
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(node.Runtime.ListenerEndPoint("raw"));
        Assert.Empty(await ReadToEndAsync(client, TimeSpan.FromSeconds(5)));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task An_idle_connection_is_closed_after_the_idle_timeout(string engine)
    {
        await using var echo = new TcpEchoServer();
        await using var node = await TestNode.StartAsync(TcpNode($$"""backends = [ { id = e, address = "{{echo.EndPoint}}" } ]""", idleSeconds: 1, engine: engine));
        using var client = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(node.Runtime.ListenerEndPoint("raw"));
        await client.SendAsync("x"u8.ToArray(), SocketFlags.None);
        var started = DateTime.UtcNow;

        var received = await ReadToEndAsync(client, TimeSpan.FromSeconds(10));
        var elapsed = DateTime.UtcNow - started;
        Assert.Equal("x", Encoding.ASCII.GetString(received));
        Assert.InRange(elapsed, TimeSpan.FromSeconds(0.9), TimeSpan.FromSeconds(5));
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Tls_pass_through_routes_by_server_name_without_terminating_tls(string engine)
    {
        await using var a = new TlsNameServer("A", "a.example.test");
        await using var b = new TlsNameServer("B", "shop.example.org");
        await using var fallback = new TlsNameServer("F", "fallback.test");
        await using var node = await TestNode.StartAsync($$"""
            drover {
              io.engine = {{engine}}
              listeners.tls { mode = tcp, bind = "127.0.0.1:0", sni-routes { "a.example.test" = a, "*.example.org" = b }, pool = fallback, inspect-delay = 1s }
              pools {
                a.backends = [ { id = a, address = "{{a.EndPoint}}" } ]
                b.backends = [ { id = b, address = "{{b.EndPoint}}" } ]
                fallback.backends = [ { id = f, address = "{{fallback.EndPoint}}" } ]
              }
            }
            """);
        var proxy = node.Runtime.ListenerEndPoint("tls");

        Assert.Equal("A: hello", await TlsNameServer.AskAsync(proxy, "a.example.test"));
        Assert.Equal("A: hello", await TlsNameServer.AskAsync(proxy, "A.Example.Test"));
        Assert.Equal("B: hello", await TlsNameServer.AskAsync(proxy, "shop.example.org"));
        Assert.Equal("B: hello", await TlsNameServer.AskAsync(proxy, "deep.shop.example.org"));
        Assert.Equal("F: hello", await TlsNameServer.AskAsync(proxy, "example.org"));
        Assert.Equal("F: hello", await TlsNameServer.AskAsync(proxy, "unknown.test"));
    }

    [Fact]
    public async Task Tls_listener_closes_connections_that_send_no_or_no_valid_ClientHello()
    {
        await using var echo = new TcpEchoServer();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.tls { mode = tcp, bind = "127.0.0.1:0", sni-routes { "a.example.test" = p }, pool = p, inspect-delay = 500ms }
              pools.p.backends = [ { id = e, address = "{{echo.EndPoint}}" } ]
            }
            """);
        var proxy = node.Runtime.ListenerEndPoint("tls");

        // Plain HTTP is not a ClientHello: closed at once, nothing reaches the backend.
        using (var http = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await http.ConnectAsync(proxy);
            await http.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray(), SocketFlags.None);
            Assert.Empty(await ReadToEndAsync(http, TimeSpan.FromSeconds(3)));
        }

        // Half a record header, then silence: closed after the inspect delay.
        using (var slow = new Socket(SocketType.Stream, ProtocolType.Tcp))
        {
            await slow.ConnectAsync(proxy);
            await slow.SendAsync(new byte[] { 22, 3, 1 }, SocketFlags.None);
            var started = DateTime.UtcNow;
            Assert.Empty(await ReadToEndAsync(slow, TimeSpan.FromSeconds(5)));
            Assert.InRange(DateTime.UtcNow - started, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(3));
        }
        Assert.Equal(0, echo.Accepted);
    }

    [Fact]
    public async Task On_the_epoll_engine_client_and_backend_sockets_are_on_the_event_loops()
    {
        await using var echo = new TcpEchoServer();
        await using var node = await TestNode.StartAsync(TcpNode($$"""backends = [ { id = e, address = "{{echo.EndPoint}}" } ]"""));
        var clients = new List<Socket>();
        try
        {
            var before = EventLoopGroup.Shared.Registered;
            // 40 connections held open, each echoing once so that its backend leg exists: 80 sockets on the loops.
            for (var i = 0; i < 40; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                clients.Add(socket);
                await socket.ConnectAsync(node.Runtime.ListenerEndPoint("raw"));
                await socket.SendAsync("hi"u8.ToArray(), SocketFlags.None);
                var buffer = new byte[16];
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                Assert.Equal(2, await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token));
            }
            var held = EventLoopGroup.Shared.Registered;
            // (At least 60: other tests running meanwhile may close a few of their own; on .NET's engine it would be about 0.)
            Assert.True(held - before >= 60, $"{held - before} more sockets on the loops with 40 connections open");

            foreach (var socket in clients) socket.Dispose();
            clients.Clear();
            // Both legs leave the loops when the client goes (other tests' sockets may come and go meanwhile).
            var deadlineAt = DateTime.UtcNow + TimeSpan.FromSeconds(5);
            while (held - EventLoopGroup.Shared.Registered < 60 && DateTime.UtcNow < deadlineAt) await Task.Delay(20);
            Assert.True(held - EventLoopGroup.Shared.Registered >= 60, $"{held - EventLoopGroup.Shared.Registered} fewer sockets after the clients closed");
        }
        finally
        {
            foreach (var socket in clients) socket.Dispose();
        }
    }
}
