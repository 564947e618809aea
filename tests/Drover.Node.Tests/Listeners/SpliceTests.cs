using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Io;
using Drover.Node.Demo;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Listeners;

/// <summary>
/// Large response bodies on the epoll engine's fast path go from the backend's socket to the client's
/// by splice(2) (drover.io.splice): every byte arrives in order, a slow reader gets all of it, the
/// connection carries on afterwards, and a relay that fails midway leaves no pipe behind.
/// </summary>
public sealed class SpliceTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static async Task<(DemoBackends Backends, DroverNode Node)> StartAsync(string io = "")
    {
        var backends = await DemoBackends.StartAsync(1);
        var node = await TestNode.StartAsync($$"""
            drover {
              io { engine = epoll
                   {{io}} }
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = demo } ] }
              pools { {{TestNode.Pool("demo", "round-robin", backends.Weighted(1))}} }
            }
            """);
        return (backends, node);
    }

    private static async Task<Socket> ConnectAsync(DroverNode node, int receiveBuffer = 0)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        if (receiveBuffer > 0) socket.ReceiveBufferSize = receiveBuffer;
        await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));
        return socket;
    }

    /// <summary>Sends GET <paramref name="path"/> and reads one Content-Length response: its head and body.</summary>
    private static async Task<(string Head, byte[] Body)> GetAsync(Socket socket, string path, TimeSpan pauseBetweenReads = default)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None, deadline.Token);
        var buffer = new byte[16 * 1024];
        var received = new MemoryStream();
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (n == 0) throw new IOException("closed before a response head");
            received.Write(buffer, 0, n);
        }
        var all = received.ToArray();
        var head = Encoding.ASCII.GetString(all, 0, headEnd);
        var lengthLine = head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        var length = int.Parse(lengthLine.Split(':')[1].Trim());
        var body = new MemoryStream();
        body.Write(all, headEnd + 4, all.Length - headEnd - 4);
        while (body.Length < length)
        {
            if (pauseBetweenReads > TimeSpan.Zero) await Task.Delay(pauseBetweenReads, deadline.Token);
            var n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, length - body.Length)), SocketFlags.None, deadline.Token);
            if (n == 0) throw new IOException($"closed after {body.Length} of {length} body bytes");
            body.Write(buffer, 0, n);
        }
        return (head, body.ToArray());
    }

    private static int IndexOfHeadEnd(MemoryStream stream) => stream.GetBuffer().AsSpan(0, (int)stream.Length).IndexOf("\r\n\r\n"u8);

    [Fact]
    public async Task A_large_body_is_spliced_byte_for_byte_and_the_connection_carries_on()
    {
        var (backends, node) = await StartAsync();
        await using var _ = backends;
        await using var __ = node;
        var fastPath = node.Runtime.FastPaths["web"];
        using var socket = await ConnectAsync(node);

        foreach (var size in new[] { 3_000_000, 65_536, 1_000_001 })
        {
            var (head, body) = await GetAsync(socket, $"/random/{size}");
            Assert.StartsWith("HTTP/1.1 200", head);
            Assert.True(DemoBackend.RandomBody(size).AsSpan().SequenceEqual(body), $"the {size}-byte body differs from what the backend sent");
        }
        // Everything past a head's read (16 KiB) of each body went by splice, none of it was copied twice.
        Assert.True(fastPath.SplicedBytes >= 3_000_000 + 65_536 + 1_000_001 - 3 * 16 * 1024, $"spliced {fastPath.SplicedBytes} bytes");

        // A small response after them on the same connection: copied, and intact.
        var spliced = fastPath.SplicedBytes;
        var (smallHead, small) = await GetAsync(socket, "/random/1000");
        Assert.StartsWith("HTTP/1.1 200", smallHead);
        Assert.Equal(DemoBackend.RandomBody(1000), small);
        Assert.Equal(spliced, fastPath.SplicedBytes);
        Assert.True(fastPath.Served >= 4, $"fast path served {fastPath.Served}");
    }

    [Fact]
    public async Task A_slow_reader_with_a_small_buffer_gets_every_byte()
    {
        var (backends, node) = await StartAsync();
        await using var _ = backends;
        await using var __ = node;
        // A 4 KiB receive buffer read in 16 KiB pieces every 2 ms: the client's socket fills again and
        // again, so the pipe holds bytes while the relay waits for room.
        using var socket = await ConnectAsync(node, receiveBuffer: 4096);
        var (head, body) = await GetAsync(socket, "/random/2000000", TimeSpan.FromMilliseconds(2));
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.True(DemoBackend.RandomBody(2_000_000).AsSpan().SequenceEqual(body), "the body differs from what the backend sent");
        Assert.True(node.Runtime.FastPaths["web"].SplicedBytes > 1_900_000);
    }

    [Fact]
    public async Task With_splice_off_bodies_are_copied_and_arrive_the_same()
    {
        var (backends, node) = await StartAsync("splice = off");
        await using var _ = backends;
        await using var __ = node;
        using var socket = await ConnectAsync(node);
        var (head, body) = await GetAsync(socket, "/random/3000000");
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.True(DemoBackend.RandomBody(3_000_000).AsSpan().SequenceEqual(body));
        Assert.Equal(0, node.Runtime.FastPaths["web"].SplicedBytes);
    }

    [Fact]
    public async Task Clients_that_leave_mid_body_leave_no_pipe_open_and_the_next_client_is_served()
    {
        var (backends, node) = await StartAsync();
        await using var _ = backends;
        await using var __ = node;
        for (var i = 0; i < 40; i++)
        {
            using var socket = await ConnectAsync(node, receiveBuffer: 4096);
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /random/8000000 HTTP/1.1\r\nHost: x\r\n\r\n"));
            var buffer = new byte[1024];
            Assert.True(await socket.ReceiveAsync(buffer) > 0);
            socket.LingerState = new LingerOption(true, 0); // RST: the relay's next splice into it fails
        }
        // The pipes the failed relays held bytes in are closed; empty ones are kept, a few per loop thread
        // (and tests running alongside may have a few in use).
        var kept = SplicePipe.MaxPooledPerThread * EventLoopGroup.Shared.Count + 8;
        await Eventually.TrueAsync(() => SplicePipe.Open <= kept, TimeSpan.FromSeconds(10), $"at most {kept} pipes open");

        using var next = await ConnectAsync(node);
        var (head, body) = await GetAsync(next, "/random/500000");
        Assert.StartsWith("HTTP/1.1 200", head);
        Assert.Equal(DemoBackend.RandomBody(500_000), body);
    }

    [Fact]
    public async Task A_backend_that_closes_mid_body_cuts_the_client_off()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var backend = Task.Run(async () =>
        {
            // Promises 1 MiB, sends 300 KiB of it, and closes.
            using var connection = await listener.AcceptSocketAsync();
            var head = new byte[4096];
            await connection.ReceiveAsync(head);
            await connection.SendAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\n\r\n"));
            await connection.SendAsync(new byte[300 * 1024]);
            connection.Shutdown(SocketShutdown.Both);
        });
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = raw } ] }
              pools { {{TestNode.Pool("raw", "round-robin", ("a", (IPEndPoint)listener.LocalEndpoint, 1))}} }
            }
            """);
        using var socket = await ConnectAsync(node);
        var error = await Assert.ThrowsAsync<IOException>(() => GetAsync(socket, "/big"));
        Assert.Contains("of 1048576 body bytes", error.Message);
        await backend.WaitAsync(Deadline);
        Assert.True(node.Runtime.FastPaths["web"].SplicedBytes > 0);
    }

    /// <summary>
    /// A raw backend answering, on keep-alive connections, <c>/cl/N</c> (Content-Length), <c>/chunked/N</c>
    /// (8,000-byte chunks) and <c>/close/N</c> (until close), each with the N bytes of
    /// <see cref="DemoBackend.RandomBody"/> and head and body in one send.
    /// </summary>
    private static Task ServeRawAsync(TcpListener listener, CancellationToken stop) => Task.Run(async () =>
    {
        while (!stop.IsCancellationRequested)
        {
            var connection = await listener.AcceptSocketAsync(stop);
            _ = Task.Run(async () =>
            {
                using var _ = connection;
                var buffer = new byte[8192];
                while (await connection.ReceiveAsync(buffer, stop) is > 0 and var n)
                {
                    var path = Encoding.ASCII.GetString(buffer, 0, n).Split(' ')[1];
                    var parts = path.Split('/');
                    var body = DemoBackend.RandomBody(int.Parse(parts[2]));
                    var response = new MemoryStream();
                    void Write(string text) => response.Write(Encoding.ASCII.GetBytes(text));
                    switch (parts[1])
                    {
                        case "cl":
                            Write($"HTTP/1.1 200 OK\r\nContent-Length: {body.Length}\r\n\r\n");
                            response.Write(body);
                            break;
                        case "chunked":
                            Write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
                            foreach (var chunk in body.Chunk(8000))
                            {
                                Write($"{chunk.Length:x}\r\n");
                                response.Write(chunk);
                                Write("\r\n");
                            }
                            Write("0\r\n\r\n");
                            break;
                        default:
                            Write("HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
                            response.Write(body);
                            break;
                    }
                    await connection.SendAsync(response.ToArray(), stop);
                    if (parts[1] == "close") return;
                }
            }, stop);
        }
    }, stop);

    /// <summary>Reads a response of any framing to its end: the head and the decoded body.</summary>
    private static async Task<(string Head, byte[] Body)> GetAnyAsync(Socket socket, string path)
    {
        using var deadline = new CancellationTokenSource(Deadline);
        await socket.SendAsync(Encoding.ASCII.GetBytes($"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None, deadline.Token);
        var received = new MemoryStream();
        var buffer = new byte[64 * 1024];
        int headEnd;
        while ((headEnd = IndexOfHeadEnd(received)) < 0) received.Write(buffer, 0, await ReceiveSomeAsync());
        var head = Encoding.ASCII.GetString(received.GetBuffer(), 0, headEnd);
        var at = headEnd + 4;
        if (head.Contains("Content-Length:", StringComparison.OrdinalIgnoreCase))
        {
            var length = int.Parse(head.Split("\r\n").First(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase))[15..].Trim());
            while (received.Length < at + length) received.Write(buffer, 0, await ReceiveSomeAsync());
            return (head, received.GetBuffer().AsSpan(at, length).ToArray());
        }
        if (head.Contains("chunked", StringComparison.OrdinalIgnoreCase))
        {
            var body = new MemoryStream();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = received.GetBuffer().AsSpan(at, (int)received.Length - at).IndexOf("\r\n"u8)) < 0) received.Write(buffer, 0, await ReceiveSomeAsync());
                var size = Convert.ToInt32(Encoding.ASCII.GetString(received.GetBuffer(), at, lineEnd), 16);
                at += lineEnd + 2;
                while (received.Length < at + size + 2) received.Write(buffer, 0, await ReceiveSomeAsync());
                if (size == 0) return (head, body.ToArray());
                body.Write(received.GetBuffer(), at, size);
                at += size + 2;
            }
        }
        int more;
        while ((more = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0) received.Write(buffer, 0, more);
        return (head, received.GetBuffer().AsSpan(at, (int)received.Length - at).ToArray());

        async Task<int> ReceiveSomeAsync()
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            return n > 0 ? n : throw new IOException($"closed before the whole response to {path}");
        }
    }

    [Fact]
    public async Task Mid_size_and_chunked_bodies_are_copied_whole_and_a_large_one_after_them_is_spliced()
    {
        using var stop = new CancellationTokenSource();
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = ServeRawAsync(listener, stop.Token);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              io.engine = epoll
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = raw } ] }
              pools { {{TestNode.Pool("raw", "round-robin", ("a", (IPEndPoint)listener.LocalEndpoint, 1))}} }
            }
            """);
        var fastPath = node.Runtime.FastPaths["web"];
        using var socket = await ConnectAsync(node);

        // Bodies whose rest after the head's 16 KiB read is below the splice minimum, and chunked ones:
        // the rest that has arrived is taken at once and sent with the head. Each arrives whole, in order,
        // on one keep-alive connection.
        foreach (var path in new[] { "/cl/20000", "/cl/40000", "/chunked/40000", "/cl/16000", "/chunked/100", "/cl/47000", "/cl/1" })
        {
            var (head, body) = await GetAnyAsync(socket, path);
            Assert.StartsWith("HTTP/1.1 200", head);
            Assert.True(DemoBackend.RandomBody(int.Parse(path.Split('/')[2])).AsSpan().SequenceEqual(body), $"the body of {path} differs from what the backend sent");
        }
        Assert.Equal(0, fastPath.SplicedBytes);

        var (largeHead, large) = await GetAnyAsync(socket, "/cl/300000");
        Assert.StartsWith("HTTP/1.1 200", largeHead);
        Assert.Equal(DemoBackend.RandomBody(300_000), large);
        Assert.True(fastPath.SplicedBytes >= 300_000 - 16 * 1024, $"spliced {fastPath.SplicedBytes} bytes");

        // A body framed by the backend's close, on a connection of its own.
        using var closing = await ConnectAsync(node);
        var (closeHead, closeBody) = await GetAnyAsync(closing, "/close/40000");
        Assert.StartsWith("HTTP/1.1 200", closeHead);
        Assert.Equal(DemoBackend.RandomBody(40_000), closeBody);
        stop.Cancel();
        listener.Stop();
        try
        {
            await serving.WaitAsync(Deadline);
        }
        catch (OperationCanceledException)
        {
            // the accept loop was waiting for the next connection: stopped
        }
    }
}
