using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Net;
using Drover.Node.Demo;
using Drover.Node.Hosting;
using Drover.Node.Listeners.Http.FastPath;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Listeners;

/// <summary>
/// The HTTP/1.1 fast path and its hand-over to the full pipeline, over raw sockets so the exact
/// bytes on the wire are under the test's control.
/// </summary>
public sealed class FastPathTests : IAsyncLifetime
{
    private DemoBackends _backends = null!;
    private DroverNode _node = null!;

    public async Task InitializeAsync()
    {
        _backends = await DemoBackends.StartAsync(2);
        _node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = demo } ] }
              pools { {{TestNode.Pool("demo", "round-robin", _backends.Weighted(1, 1))}} }
            }
            """);
    }

    public async Task DisposeAsync()
    {
        await _node.DisposeAsync();
        await _backends.DisposeAsync();
    }

    private Http1FastPath FastPath => _node.Runtime.FastPaths["web"];

    private async Task<Socket> ConnectAsync()
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(_node.Runtime.ListenerEndPoint("web"));
        return socket;
    }

    /// <summary>Reads one HTTP/1.1 response (Content-Length or chunked framing); returns status, headers and body.</summary>
    private static async Task<(int Status, string Headers, string Body)> ReadResponseAsync(Socket socket, StringBuilder pending)
    {
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        var buffer = new byte[8192];
        async Task<bool> More()
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            pending.Append(Encoding.Latin1.GetString(buffer, 0, read));
            return read > 0;
        }
        int end;
        while ((end = pending.ToString().IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
            if (!await More()) throw new IOException("connection closed before a response head");
        var head = pending.ToString(0, end);
        pending.Remove(0, end + 4);
        var status = int.Parse(head.Split(' ')[1]);
        var lengthLine = head.Split("\r\n").FirstOrDefault(l => l.StartsWith("Content-Length:", StringComparison.OrdinalIgnoreCase));
        string body;
        if (lengthLine is not null)
        {
            var length = int.Parse(lengthLine.Split(':')[1].Trim());
            while (pending.Length < length) if (!await More()) throw new IOException("body cut short");
            body = pending.ToString(0, length);
            pending.Remove(0, length);
        }
        else if (head.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase))
        {
            var result = new StringBuilder();
            while (true)
            {
                int lineEnd;
                while ((lineEnd = pending.ToString().IndexOf("\r\n", StringComparison.Ordinal)) < 0) if (!await More()) throw new IOException("chunk cut short");
                var size = Convert.ToInt32(pending.ToString(0, lineEnd).Split(';')[0], 16);
                while (pending.Length < lineEnd + 2 + size + 2) if (!await More()) throw new IOException("chunk cut short");
                result.Append(pending.ToString(lineEnd + 2, size));
                pending.Remove(0, lineEnd + 2 + size + 2);
                if (size == 0) break;
            }
            body = result.ToString();
        }
        else body = "";
        return (status, head, body);
    }

    private static Task SendAsync(Socket socket, string text) => socket.SendAsync(Encoding.ASCII.GetBytes(text), SocketFlags.None);

    [Fact]
    public async Task Plain_keep_alive_requests_are_served_by_the_fast_path_on_one_connection()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        var before = FastPath.Served;
        var backends = new List<string>();
        for (var i = 0; i < 4; i++)
        {
            await SendAsync(socket, $"GET /n{i} HTTP/1.1\r\nHost: t.example\r\nX-Forwarded-Proto: evil\r\n\r\n");
            var (status, headers, body) = await ReadResponseAsync(socket, pending);
            Assert.Equal(200, status);
            Assert.EndsWith($"GET /n{i} (HTTP/1.1)\n", body);
            backends.Add(body.Split(':')[0]);
        }
        Assert.Equal(4, FastPath.Served - before);
        Assert.Equal(0, FastPath.HandedOver);
        Assert.Equal(["b1", "b2"], backends.Distinct().Order());
    }

    [Fact]
    public async Task The_fast_path_rewrites_forwarding_headers_like_the_full_pipeline()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        await SendAsync(socket, "GET /headers HTTP/1.1\r\nHost: shop.example.test\r\nX-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Proto: https\r\nConnection: X-Hop\r\nX-Hop: secret\r\nKeep-Alive: 5\r\nX-Keep: yes\r\n\r\n");
        var (status, _, body) = await ReadResponseAsync(socket, pending);

        Assert.Equal(200, status);
        Assert.Contains("X-Forwarded-For: 203.0.113.7, 127.0.0.1\n", body);
        Assert.Contains("X-Forwarded-Proto: http\n", body);
        Assert.Contains("X-Forwarded-Host: shop.example.test\n", body);
        Assert.Contains("Host: shop.example.test\n", body);
        Assert.Contains("X-Keep: yes\n", body);
        Assert.DoesNotContain("X-Hop", body);
        Assert.DoesNotContain("Keep-Alive", body);
        Assert.Equal(1, FastPath.Served);
    }

    [Fact]
    public async Task A_request_the_fast_path_does_not_take_hands_the_connection_over_with_nothing_lost()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        await SendAsync(socket, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.EndsWith("GET /first (HTTP/1.1)\n", (await ReadResponseAsync(socket, pending)).Body);

        // A chunked upload is not fast-path material: Kestrel and YARP serve it, on the same connection.
        await SendAsync(socket, "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
        var echoed = await ReadResponseAsync(socket, pending);
        Assert.Equal(200, echoed.Status);
        Assert.Equal("hello world", echoed.Body);

        await SendAsync(socket, "GET /after HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.EndsWith("GET /after (HTTP/1.1)\n", (await ReadResponseAsync(socket, pending)).Body);
        Assert.Equal(1, FastPath.Served);
        Assert.Equal(1, FastPath.HandedOver);
    }

    [Fact]
    public async Task Pipelined_requests_get_their_responses_in_order()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        await SendAsync(socket, "GET /a HTTP/1.1\r\nHost: x\r\n\r\nGET /b HTTP/1.1\r\nHost: x\r\n\r\nHEAD /c HTTP/1.1\r\nHost: x\r\n\r\nGET /d HTTP/1.1\r\nHost: x\r\n\r\n");
        Assert.EndsWith("GET /a (HTTP/1.1)\n", (await ReadResponseAsync(socket, pending)).Body);
        Assert.EndsWith("GET /b (HTTP/1.1)\n", (await ReadResponseAsync(socket, pending)).Body);
        var head = await ReadResponseAsync(socket, pending);
        Assert.Equal(200, head.Status);
        Assert.Equal("", head.Body); // HEAD: a head only, whatever its framing headers say
        Assert.EndsWith("GET /d (HTTP/1.1)\n", (await ReadResponseAsync(socket, pending)).Body);
        Assert.Equal(4, FastPath.Served);
    }

    [Fact]
    public async Task A_body_with_content_length_is_forwarded_and_answered()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        var body = new string('z', 200_000);
        await SendAsync(socket, $"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: {body.Length}\r\n\r\n{body}");
        var response = await ReadResponseAsync(socket, pending);
        Assert.Equal(body, response.Body);
        Assert.Equal(1, FastPath.Served);
    }

    [Fact]
    public async Task A_smuggling_attempt_reaches_Kestrel_which_refuses_it()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        // Content-Length and Transfer-Encoding together: the classic desync. Not the fast path's to judge.
        await SendAsync(socket, "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n");
        var first = await ReadResponseAsync(socket, pending);
        Assert.NotEqual("", first.Headers);
        Assert.DoesNotContain("/smuggled", first.Body);
        Assert.Equal(0, FastPath.Served);
        Assert.Equal(1, FastPath.HandedOver);
    }

    [Fact]
    public async Task Malformed_bytes_get_Kestrels_400_not_a_guess()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        await SendAsync(socket, "GET / HTTP/1.1\r\nHost : x\r\n\r\n");
        var (status, _, _) = await ReadResponseAsync(socket, pending);
        Assert.Equal(400, status);
        Assert.Equal(0, FastPath.Served);
    }

    [Fact]
    public async Task Connection_close_from_the_client_closes_after_the_response()
    {
        using var socket = await ConnectAsync();
        var pending = new StringBuilder();
        await SendAsync(socket, "GET /bye HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        var (status, headers, _) = await ReadResponseAsync(socket, pending);
        Assert.Equal(200, status);
        Assert.Contains("Connection: close", headers, StringComparison.OrdinalIgnoreCase);
        var buffer = new byte[16];
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        Assert.Equal(0, await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token));
    }

    [Fact]
    public async Task A_pooled_connection_the_backend_closed_is_replaced_without_an_error()
    {
        await using var single = await DemoBackends.StartAsync(1);
        var endPoint = single.All[0].EndPoint;
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = one } ] }
              pools.one.backends = [ { id = b1, address = "{{endPoint}}" } ]
            }
            """);
        using var client = new HttpClient();
        var url = $"http://{node.Runtime.ListenerEndPoint("web")}/";
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync(url)).StatusCode); // leaves a pooled backend connection

        // The backend restarts on the same port: the pooled connection is dead.
        await single.StopAsync("b1");
        await using var restarted = await DemoBackend.StartAsync("b1", new HostPort("127.0.0.1", endPoint.Port));

        using var response = await client.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(2, node.Runtime.FastPaths["web"].Served);
    }

    [Fact]
    public async Task Bytes_a_backend_sends_past_its_response_are_not_read_as_the_next_answer()
    {
        // A keep-alive backend that sends 4 stray bytes after each 2-byte body.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var accepted = 0;
        using var stop = new CancellationTokenSource();
        var serving = Task.Run(async () =>
        {
            var connections = new List<Task>();
            try
            {
                while (true)
                {
                    var socket = await listener.AcceptSocketAsync(stop.Token);
                    Interlocked.Increment(ref accepted);
                    connections.Add(Task.Run(async () =>
                    {
                        using (socket)
                        {
                            var buffer = new byte[4096];
                            var text = "";
                            while (true)
                            {
                                var read = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                                if (read == 0) return;
                                text += Encoding.ASCII.GetString(buffer, 0, read);
                                while (text.IndexOf("\r\n\r\n", StringComparison.Ordinal) is var end and >= 0)
                                {
                                    text = text[(end + 4)..];
                                    await socket.SendAsync("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokJUNK"u8.ToArray(), SocketFlags.None);
                                }
                            }
                        }
                    }));
                }
            }
            catch (OperationCanceledException)
            {
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
            }
            await Task.WhenAll(connections).ContinueWith(_ => { });
        });
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = junk } ] }
              pools.junk.backends = [ { id = j1, address = "{{listener.LocalEndpoint}}" } ]
            }
            """);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        using (socket)
        {
            await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));
            var pending = new StringBuilder();
            for (var i = 0; i < 3; i++)
            {
                await SendAsync(socket, $"GET /{i} HTTP/1.1\r\nHost: x\r\n\r\n");
                var (status, _, body) = await ReadResponseAsync(socket, pending);
                Assert.Equal(200, status);
                Assert.Equal("ok", body);
            }
            Assert.Equal(3, node.Runtime.FastPaths["web"].Served);
        }
        // The connection that carried stray bytes is not reused: each request needed a new one.
        Assert.Equal(3, Volatile.Read(ref accepted));
        stop.Cancel();
        listener.Stop();
        await serving;
    }
}
