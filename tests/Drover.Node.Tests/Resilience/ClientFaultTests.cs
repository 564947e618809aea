using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Resilience;

/// <summary>Only backend faults count against a backend: a client that goes away or sends garbage does not.</summary>
public sealed class ClientFaultTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_client_that_aborts_or_sends_a_bad_request_is_not_a_backend_failure(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              pools.p.backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ]
            }
            """);
        var endPoint = node.Runtime.ListenerEndPoint("web");
        var backend = node.Runtime.Pools["p"].Snapshot.Backends[0];

        // Ten clients give up on a slow answer.
        for (var i = 0; i < 10; i++)
        {
            using var client = new HttpClient { BaseAddress = new Uri($"http://{endPoint}"), Timeout = TimeSpan.FromMilliseconds(100) };
            await Assert.ThrowsAnyAsync<TaskCanceledException>(() => client.GetAsync("/delay/2000"));
        }
        // Ten send bytes that are not HTTP, or hang up halfway through a body.
        for (var i = 0; i < 10; i++)
        {
            using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            await socket.ConnectAsync(endPoint);
            var bytes = i % 2 == 0
                ? "GARBAGE\r\n\r\n"
                : "POST /sink HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\nonly a little";
            await socket.SendAsync(Encoding.ASCII.GetBytes(bytes));
            if (i % 2 == 0)
            {
                var buffer = new byte[1024];
                var read = await socket.ReceiveAsync(buffer);
                Assert.StartsWith("HTTP/1.1 400", Encoding.ASCII.GetString(buffer, 0, read));
            }
        }

        // Let the slow requests end at the backend, then check nothing was counted.
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (backend.Active > 0 && DateTime.UtcNow < deadline) await Task.Delay(20);
        Assert.Equal(0, backend.Failures);
        Assert.Equal(0, backend.FailureStreak);
        Assert.Contains(backend, node.Runtime.Pools["p"].Snapshot.Candidates);
    }
}
