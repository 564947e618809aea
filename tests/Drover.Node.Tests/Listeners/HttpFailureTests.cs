using System.Net;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Listeners;

/// <summary>What clients see when backends fail: retries elsewhere, then 502, 503 and 504 (a backend killed under load: Resilience/KilledBackendTests).</summary>
public sealed class HttpFailureTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task No_backend_accepting_connections_is_a_502_after_trying_each(bool fastPath)
    {
        var dead1 = FreePort.Next();
        var dead2 = FreePort.Next();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = dead } ] }
              pools.dead { backends = [ { id = d1, address = "127.0.0.1:{{dead1}}" }, { id = d2, address = "127.0.0.1:{{dead2}}" } ] }
            }
            """);
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://{node.Runtime.ListenerEndPoint("web")}/");

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Contains("no backend of pool 'dead' could be connected", await response.Content.ReadAsStringAsync());
        var backends = node.Runtime.Pools["dead"].Snapshot.Backends;
        Assert.All(backends, b => Assert.Equal(1, b.Failures)); // one attempt on each, not two on one
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_pool_with_no_usable_backend_is_a_503(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = off } ] }
              pools { {{TestNode.Pool("off", "round-robin", backends.Weighted(0))}} }
            }
            """);
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://{node.Runtime.ListenerEndPoint("web")}/");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Contains("pool 'off' has no usable backend", await response.Content.ReadAsStringAsync());
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_backend_that_does_not_answer_in_time_is_a_504(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        var b1 = backends.All[0];
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = slow } ] }
              pools.slow { backends = [ { id = b1, address = "{{b1.EndPoint}}" } ], timeouts { response = 300ms } }
            }
            """);
        using var client = new HttpClient();
        var started = DateTime.UtcNow;
        using var slow = await client.GetAsync($"http://{node.Runtime.ListenerEndPoint("web")}/delay/5000");
        Assert.Equal(HttpStatusCode.GatewayTimeout, slow.StatusCode);
        Assert.True(DateTime.UtcNow - started < TimeSpan.FromSeconds(4), "the proxy must not wait for the slow backend");

        using var fast = await client.GetAsync($"http://{node.Runtime.ListenerEndPoint("web")}/delay/10");
        Assert.Equal(HttpStatusCode.OK, fast.StatusCode);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_backend_that_hangs_up_without_answering_costs_a_GET_nothing_and_a_POST_is_never_resent(bool fastPath)
    {
        await using var healthy = await DemoBackends.StartAsync(1);
        await using var broken = new HangUpServer();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              # Passive ejection off: this test is about which requests are resent, so the broken backend must stay in rotation.
              pools.p { health.passive = off, backends = [ { id = broken, address = "{{broken.EndPoint}}" }, { id = b1, address = "{{healthy.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        for (var i = 0; i < 6; i++)
        {
            using var get = await client.GetAsync($"/get{i}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        Assert.Contains(broken.RequestLines, l => l.StartsWith("GET /get"));

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 6; i++)
        {
            using var post = await client.PostAsync($"/sink?n={i}", new ByteArrayContent(new byte[100]));
            statuses.Add(post.StatusCode);
        }
        var droppedPosts = broken.RequestLines.Count(l => l.StartsWith("POST /sink"));
        Assert.True(droppedPosts > 0, "round robin should have sent some POSTs to the broken backend");
        // Every POST the broken backend swallowed became a 502; none was sent again to the healthy one.
        Assert.Equal(droppedPosts, statuses.Count(s => s == HttpStatusCode.BadGateway));
        Assert.Equal(6 - droppedPosts, statuses.Count(s => s == HttpStatusCode.OK));
    }
}
