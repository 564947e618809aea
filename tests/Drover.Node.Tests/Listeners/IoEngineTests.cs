using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using Drover.Core.Io;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Listeners;

/// <summary>
/// The same HTTP traffic through a listener on each socket engine (drover.io.engine): the fast path,
/// the hand-over to Kestrel's stack (chunked uploads, HTTP/2 prior knowledge, WebSockets), bodies
/// larger than every socket and pipe buffer, and a client that goes away mid-response.
/// </summary>
public sealed class IoEngineTests
{
    private static async Task<(DemoBackends Backends, DroverNode Node, HttpClient Client)> StartAsync(string engine)
    {
        var backends = await DemoBackends.StartAsync(1);
        var node = await TestNode.StartAsync($$"""
            drover {
              io { engine = {{engine}} }
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = demo } ] }
              pools { {{TestNode.Pool("demo", "round-robin", backends.Weighted(1))}} }
            }
            """);
        var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}"), Timeout = TimeSpan.FromSeconds(30) };
        return (backends, node, client);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Every_kind_of_HTTP_traffic_passes_on_the_engine(string engine)
    {
        var (backends, node, client) = await StartAsync(engine);
        await using var _ = backends;
        await using var __ = node;
        using var ___ = client;
        var fastPath = node.Runtime.FastPaths["web"];

        // Keep-alive requests on the fast path.
        for (var i = 0; i < 50; i++)
        {
            var body = await client.GetByteArrayAsync("/bytes/1024");
            Assert.Equal(1024, body.Length);
        }
        Assert.True(fastPath.Served >= 50, $"fast path served {fastPath.Served}");

        // 8 MiB down: more than the kernel's socket buffers and the 64 KiB output pipe hold.
        var big = await client.GetByteArrayAsync("/bytes/8388608");
        Assert.Equal(8 * 1024 * 1024, big.Length);

        // A chunked upload goes to Kestrel's stack (the fast path hands the connection over) and echoes back whole.
        var upload = new byte[3 * 1024 * 1024];
        new Random(5).NextBytes(upload);
        using var content = new StreamContent(new MemoryStream(upload));
        content.Headers.ContentType = new("application/octet-stream");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/echo") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using var echoed = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, echoed.StatusCode);
        var echoedBody = await echoed.Content.ReadAsByteArrayAsync();
        Assert.Equal(upload, echoedBody);

        // HTTP/2 with prior knowledge on the same port.
        using var h2 = new HttpClient { BaseAddress = client.BaseAddress, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact };
        using var h2Response = await h2.GetAsync("/bytes/100");
        Assert.Equal(HttpVersion.Version20, h2Response.Version);
        Assert.Equal(100, (await h2Response.Content.ReadAsByteArrayAsync()).Length);

        // A WebSocket through the upgrade path.
        using var ws = new ClientWebSocket();
        await ws.ConnectAsync(new Uri($"ws://{node.Runtime.ListenerEndPoint("web")}/ws"), CancellationToken.None);
        await ws.SendAsync(Encoding.UTF8.GetBytes("hello"), WebSocketMessageType.Text, true, CancellationToken.None);
        var buffer = new byte[64];
        var received = await ws.ReceiveAsync(buffer, CancellationToken.None);
        Assert.Contains("hello", Encoding.UTF8.GetString(buffer, 0, received.Count));
        await ws.CloseAsync(WebSocketCloseStatus.NormalClosure, null, CancellationToken.None);
    }

    [Fact]
    public async Task The_epoll_engine_drives_client_and_backend_sockets_on_its_loops()
    {
        var (backends, node, client) = await StartAsync("epoll");
        await using var _ = backends;
        await using var __ = node;
        using var ___ = client;
        var clients = new List<Socket>();
        try
        {
            // 20 kept-alive client connections, each with its own backend connection in use at the same time.
            // Backend sockets are registered on an event loop while open; a client socket whose request came
            // with its connection joins only when it waits for its next request (after its response).
            for (var i = 0; i < 20; i++)
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
                clients.Add(socket);
                await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));
                await socket.SendAsync(Encoding.ASCII.GetBytes("GET /delay/1500 HTTP/1.1\r\nHost: x\r\n\r\n"));
            }
            await Task.Delay(500);
            Assert.True(EventLoopGroup.Shared.Registered >= 20, $"{EventLoopGroup.Shared.Registered} sockets on the loops");
            foreach (var socket in clients)
            {
                var buffer = new byte[4096];
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                var n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
                Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, n));
            }
            var until = DateTime.UtcNow.AddSeconds(10);
            while (EventLoopGroup.Shared.Registered < 40 && DateTime.UtcNow < until) await Task.Delay(20);
            Assert.True(EventLoopGroup.Shared.Registered >= 40, $"{EventLoopGroup.Shared.Registered} sockets on the loops with 20 idle kept-alive clients");
        }
        finally
        {
            foreach (var socket in clients) socket.Dispose();
        }
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task A_client_that_leaves_mid_response_does_not_disturb_the_next_one(string engine)
    {
        var (backends, node, client) = await StartAsync(engine);
        await using var _ = backends;
        await using var __ = node;
        using var ___ = client;
        for (var i = 0; i < 5; i++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /bytes/16777216 HTTP/1.1\r\nHost: x\r\n\r\n"));
            var buffer = new byte[1024];
            Assert.True(await socket.ReceiveAsync(buffer) > 0);
            socket.LingerState = new LingerOption(true, 0); // RST: the proxy's next send fails
        }
        for (var i = 0; i < 20; i++) Assert.Equal(1024, (await client.GetByteArrayAsync("/bytes/1024")).Length);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task Every_connection_counts_once_whether_the_fast_path_serves_it_or_hands_it_over(string engine)
    {
        // On the epoll engine the fast path serves connections before Kestrel sees them and counts them
        // itself; the ones it hands over must not be counted again by Kestrel's connection middleware.
        var (backends, node, client) = await StartAsync(engine);
        await using var _ = backends;
        await using var __ = node;
        using var ___ = client;
        var counters = node.Runtime.FastPaths["web"].Counters;
        var before = counters.Connections;
        for (var i = 0; i < 10; i++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));
            await socket.SendAsync(Encoding.ASCII.GetBytes("GET /bytes/100 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
            var response = await ReadToEndAsync(socket);
            Assert.StartsWith("HTTP/1.1 200", response);
        }
        using (var h2 = new HttpClient { BaseAddress = client.BaseAddress, DefaultRequestVersion = HttpVersion.Version20, DefaultVersionPolicy = HttpVersionPolicy.RequestVersionExact })
        {
            using var response = await h2.GetAsync("/bytes/100"); // handed over: HTTP/2 prior knowledge
            Assert.Equal(HttpVersion.Version20, response.Version);
        }
        Assert.Equal(before + 11, counters.Connections);
        var until = DateTime.UtcNow.AddSeconds(10);
        while (counters.ActiveConnections != 0 && DateTime.UtcNow < until) await Task.Delay(20);
        Assert.Equal(0, counters.ActiveConnections);
    }

    [Theory]
    [InlineData("epoll")]
    [InlineData("sockets")]
    public async Task A_first_request_that_comes_after_its_connection_is_served_and_a_silent_connection_closes_at_stop(string engine)
    {
        // On the epoll engine a connection whose request is not there when it is accepted waits for it on its socket
        // (without its receive loop); a stop must still wake that wait rather than leave it to the drain deadline.
        var backends = await DemoBackends.StartAsync(1);
        await using var _ = backends;
        var node = await TestNode.StartAsync($$"""
            drover {
              io { engine = {{engine}} }
              shutdown { drain-timeout = 20s }
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = demo } ] }
              pools { {{TestNode.Pool("demo", "round-robin", backends.Weighted(1))}} }
            }
            """);
        var endPoint = node.Runtime.ListenerEndPoint("web");
        var fastPath = node.Runtime.FastPaths["web"];
        var stopped = false;
        try
        {
            using (var late = new Socket(SocketType.Stream, ProtocolType.Tcp))
            {
                await late.ConnectAsync(endPoint);
                await Task.Delay(200); // accepted with nothing to read yet
                await late.SendAsync(Encoding.ASCII.GetBytes("GET /bytes/100 HTTP/1.1\r\nHo"));
                await Task.Delay(100); // and the head in two parts
                await late.SendAsync(Encoding.ASCII.GetBytes("st: x\r\nConnection: close\r\n\r\n"));
                var response = await ReadToEndAsync(late);
                Assert.StartsWith("HTTP/1.1 200", response);
                Assert.Equal(100, response.Length - response.IndexOf("\r\n\r\n", StringComparison.Ordinal) - 4); // the whole body
            }
            Assert.Equal(1, fastPath.Served);

            using var silent = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await silent.ConnectAsync(endPoint);
            await Task.Delay(200);
            var reading = ReadToEndAsync(silent); // gives up after 10 s, half the drain deadline
            var stopping = System.Diagnostics.Stopwatch.StartNew();
            stopped = true;
            await node.DisposeAsync();
            Assert.Equal("", await reading); // closed by the stop, with nothing sent
            Assert.True(stopping.Elapsed < TimeSpan.FromSeconds(10), $"the stop took {stopping.Elapsed}: the silent connection waited for the drain deadline");
        }
        finally
        {
            if (!stopped) await node.DisposeAsync();
        }
    }

    private static async Task<string> ReadToEndAsync(Socket socket)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var text = new StringBuilder();
        var buffer = new byte[4096];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0) text.Append(Encoding.ASCII.GetString(buffer, 0, n));
        return text.ToString();
    }
}
