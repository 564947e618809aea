using System.Net.Sockets;
using System.Text;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Resilience;

/// <summary>Slow-header clients get 408 and are closed; idle keep-alive connections are closed after the idle timeout.</summary>
public sealed class ClientTimeoutTests
{
    private static Task<DroverNode> StartAsync(bool fastPath, DemoBackends backends) => TestNode.StartAsync($$"""
        drover {
          listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
          pools.p { timeouts { request-headers = 500ms, idle = 1500ms }, backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ] }
        }
        """);

    private static async Task<string> ReadToEndAsync(Socket socket, TimeSpan limit)
    {
        using var deadline = new CancellationTokenSource(limit);
        var text = new StringBuilder();
        var buffer = new byte[4096];
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (read == 0) return text.ToString();
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_that_sends_its_head_too_slowly_gets_408_and_is_closed(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await StartAsync(fastPath, backends);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));

        var started = DateTime.UtcNow;
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET / HTTP/1.1\r\nHost: x\r\n"));
        await Task.Delay(200);
        await socket.SendAsync(Encoding.ASCII.GetBytes("X-Slow: 1\r\n")); // trickling does not reset the deadline
        var answer = await ReadToEndAsync(socket, TimeSpan.FromSeconds(10));

        Assert.StartsWith("HTTP/1.1 408", answer);
        var elapsed = DateTime.UtcNow - started;
        Assert.True(elapsed < TimeSpan.FromSeconds(5), $"closed after {elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(0, node.Runtime.Pools["p"].Snapshot.Backends[0].Requests);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_idle_keep_alive_connection_is_closed_after_the_idle_timeout_without_a_408(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await StartAsync(fastPath, backends);
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(node.Runtime.ListenerEndPoint("web"));

        // One request, answered; then nothing. The request-headers deadline (500 ms) must not apply
        // between requests, only the idle timeout (1.5 s).
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"));
        var buffer = new byte[4096];
        var read = await socket.ReceiveAsync(buffer);
        Assert.StartsWith("HTTP/1.1 200", Encoding.ASCII.GetString(buffer, 0, read));

        var idle = DateTime.UtcNow;
        var rest = await ReadToEndAsync(socket, TimeSpan.FromSeconds(10));
        var elapsed = DateTime.UtcNow - idle;
        Assert.DoesNotContain("408", rest);
        Assert.True(elapsed >= TimeSpan.FromMilliseconds(1000), $"closed after only {elapsed.TotalMilliseconds:F0} ms");
    }
}
