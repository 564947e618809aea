using System.Diagnostics;
using System.Net;
using Drover.Node.Hosting;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Resilience;

/// <summary>max-connections and the queue: a full backend makes requests wait, up to the queue's size and timeout.</summary>
public sealed class QueueTests
{
    private static Task<DroverNode> StartAsync(bool fastPath, HttpStubServer backend, string queue) => TestNode.StartAsync($$"""
        drover {
          listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
          pools.p { max-connections = 1, queue { {{queue}} }, backends = [ { id = slow, address = "{{backend.EndPoint}}" } ] }
        }
        """);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Requests_over_max_connections_wait_their_turn(bool fastPath)
    {
        await using var backend = new HttpStubServer(delay: TimeSpan.FromMilliseconds(200));
        await using var node = await StartAsync(fastPath, backend, "size = 10, timeout = 5s");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        var responses = await Task.WhenAll(Enumerable.Range(0, 5).Select(i => client.GetAsync($"/q{i}")));
        Assert.All(responses, r => Assert.Equal(HttpStatusCode.OK, r.StatusCode));
        Assert.Equal(1, backend.MaxConcurrent);
        Assert.Equal(0, node.Runtime.Pools["p"].Queue!.Waiting);
        Assert.Equal(4, node.Runtime.Pools["p"].Queue!.TotalQueued);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_full_queue_is_a_503_at_once_and_a_long_wait_is_a_503_at_the_timeout(bool fastPath)
    {
        await using var backend = new HttpStubServer(delay: TimeSpan.FromSeconds(2));
        await using var node = await StartAsync(fastPath, backend, "size = 1, timeout = 400ms");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        var queue = node.Runtime.Pools["p"].Queue!;

        var first = client.GetAsync("/busy"); // takes the only slot for 2 s
        while (backend.Heads.Count == 0) await Task.Delay(10);
        var waiting = Stopwatch.StartNew();
        var second = client.GetAsync("/waits"); // takes the only place in the queue
        while (queue.Waiting == 0) await Task.Delay(5);

        using var third = await client.GetAsync("/rejected");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        Assert.Contains("queue is full", await third.Content.ReadAsStringAsync());

        using var timedOut = await second;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, timedOut.StatusCode);
        Assert.Contains("no slot within the queue timeout", await timedOut.Content.ReadAsStringAsync());
        Assert.True(waiting.Elapsed >= TimeSpan.FromMilliseconds(350), $"gave up after {waiting.ElapsedMilliseconds} ms");

        using var done = await first;
        Assert.Equal(HttpStatusCode.OK, done.StatusCode);
        Assert.Equal(1, backend.Accepted);
        Assert.Equal((1L, 1L), (queue.TotalRejected, queue.TotalTimeouts));
    }
}
