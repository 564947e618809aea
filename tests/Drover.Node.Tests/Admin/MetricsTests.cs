using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Drover.Core.Pools;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Admin;

/// <summary><c>/metrics</c> after real traffic through a node, parsed as Prometheus text.</summary>
public sealed class MetricsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Requests_are_counted_by_listener_pool_backend_and_status_class_with_retries_and_latency(bool fastPath)
    {
        await using var healthy = await DemoBackends.StartAsync(1);
        await using var failing = new HttpStubServer(status: 503, body: "overloaded\n");
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web {
                mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}
                routes = [ { path-prefix = "/get", pool = p }, { path-prefix = "/delay", pool = p } ]
              }
              pools.p { slow-start = 0s, backends = [ { id = bad, address = "{{failing.EndPoint}}" }, { id = b1, address = "{{healthy.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        // 20 GETs: round robin sends 5 to 'bad' (503, retried on b1) before five in a row eject it.
        for (var i = 0; i < 20; i++)
        {
            using var get = await client.GetAsync($"/get{i}");
            Assert.Equal(HttpStatusCode.OK, get.StatusCode);
        }
        // Three slow ones, above the 100 ms bucket for sure.
        for (var i = 0; i < 3; i++)
        {
            using var slow = await client.GetAsync("/delay/150");
            Assert.Equal(HttpStatusCode.OK, slow.StatusCode);
        }
        using (var none = await client.GetAsync("/nothing")) Assert.Equal(HttpStatusCode.NotFound, none.StatusCode); // Drover's own 404

        var m = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal("counter", m.Types["drover_listener_requests_total"]);
        Assert.Equal("counter", m.Types["drover_backend_responses_total"]);
        Assert.Equal("histogram", m.Types["drover_backend_response_seconds"]);
        Assert.Equal("gauge", m.Types["drover_backend_health"]);

        // Frontend: what clients got.
        Assert.Equal(23, m.Value("drover_listener_requests_total", ("listener", "web"), ("code", "2xx")));
        Assert.Equal(1, m.Value("drover_listener_requests_total", ("listener", "web"), ("code", "4xx")));
        Assert.Equal(0, m.Value("drover_listener_requests_total", ("listener", "web"), ("code", "5xx")));
        Assert.True(m.Value("drover_listener_connections_total", ("listener", "web")) >= 1);

        // Backends: what each answered, the retries, the faults.
        Assert.Equal(5, m.Value("drover_backend_responses_total", ("pool", "p"), ("backend", "bad"), ("code", "5xx")));
        Assert.Equal(0, m.Value("drover_backend_responses_total", ("pool", "p"), ("backend", "bad"), ("code", "2xx")));
        Assert.Equal(23, m.Value("drover_backend_responses_total", ("pool", "p"), ("backend", "b1"), ("code", "2xx")));
        Assert.Equal(5, m.Value("drover_backend_requests_total", ("pool", "p"), ("backend", "bad")));
        Assert.Equal(23, m.Value("drover_backend_requests_total", ("pool", "p"), ("backend", "b1")));
        Assert.Equal(5, m.Value("drover_backend_retries_total", ("pool", "p"), ("backend", "b1")));
        Assert.Equal(5, m.Value("drover_backend_failures_total", ("pool", "p"), ("backend", "bad")));
        Assert.Equal(0, m.Value("drover_backend_failures_total", ("pool", "p"), ("backend", "b1")));
        if (fastPath) Assert.Equal(23, m.Value("drover_listener_fast_path_requests_total", ("listener", "web")));

        // The latency histogram: cumulative buckets, +Inf = count = the answered requests, the slow ones above 100 ms.
        var buckets = m.All("drover_backend_response_seconds_bucket", ("pool", "p"), ("backend", "b1")).ToList();
        Assert.Equal(15, buckets.Count);
        for (var i = 1; i < buckets.Count; i++) Assert.True(buckets[i].Value >= buckets[i - 1].Value, $"buckets must be cumulative: {buckets[i - 1]} then {buckets[i]}");
        Assert.Equal("+Inf", buckets[^1].Labels["le"]);
        var count = m.Value("drover_backend_response_seconds_count", ("pool", "p"), ("backend", "b1"));
        Assert.Equal(23, count);
        Assert.Equal(count, buckets[^1].Value);
        Assert.True(m.Value("drover_backend_response_seconds_bucket", ("pool", "p"), ("backend", "b1"), ("le", "0.1")) <= 20);
        Assert.Equal(23, m.Value("drover_backend_response_seconds_bucket", ("pool", "p"), ("backend", "b1"), ("le", "10")));
        Assert.True(m.Value("drover_backend_response_seconds_sum", ("pool", "p"), ("backend", "b1")) >= 0.45);

        // Health as the pool actor has it: five faults in a row ejected 'bad'.
        Assert.Equal(1, m.Value("drover_backend_health", ("pool", "p"), ("backend", "bad"), ("state", "ejected")));
        Assert.Equal(0, m.Value("drover_backend_health", ("pool", "p"), ("backend", "bad"), ("state", "up")));
        Assert.Equal(1, m.Value("drover_backend_health", ("pool", "p"), ("backend", "b1"), ("state", "up")));
        Assert.Equal(1, m.Value("drover_backend_health_changes_total", ("pool", "p"), ("backend", "bad"), ("change", "ejection")));
        Assert.Equal(1, m.Value("drover_backend_admin_state", ("pool", "p"), ("backend", "b1"), ("state", "ready")));
        Assert.Equal(0, m.Value("drover_backend_weight", ("pool", "p"), ("backend", "bad")));
        Assert.Equal(1, m.Value("drover_pool_serving_backends", ("pool", "p")));
        Assert.Equal(0, m.Value("drover_pool_sessions", ("pool", "p")));

        // A second scrape adds only what happened since: nothing counted twice.
        using (var again = await client.GetAsync("/get-again")) Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var m2 = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal(24, m2.Value("drover_backend_responses_total", ("pool", "p"), ("backend", "b1"), ("code", "2xx")));
        Assert.Equal(24, m2.Value("drover_backend_response_seconds_count", ("pool", "p"), ("backend", "b1")));
        Assert.Equal(24, m2.Value("drover_listener_requests_total", ("listener", "web"), ("code", "2xx")));
    }

    [Fact]
    public async Task Tcp_connections_and_bytes_are_counted_on_the_listener_and_the_backend()
    {
        await using var echo = new TcpEchoServer();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p.backends = [ { id = e, address = "{{echo.EndPoint}}" } ]
            }
            """);
        var payload = new byte[1000];
        Random.Shared.NextBytes(payload);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(node.Runtime.ListenerEndPoint("raw"));
            var stream = client.GetStream();
            await stream.WriteAsync(payload);
            var back = new byte[payload.Length];
            await stream.ReadExactlyAsync(back);
            Assert.Equal(payload, back);

            var open = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
            Assert.Equal(1, open.Value("drover_listener_active_connections", ("listener", "raw")));
            Assert.Equal(1, open.Value("drover_backend_active", ("pool", "p"), ("backend", "e")));
        }

        await Eventually.TrueAsync(async () =>
            (await PrometheusText.ScrapeAsync(node.Admin.EndPoint!)).Value("drover_listener_active_connections", ("listener", "raw")) == 0,
            Patience, "the connection is closed");
        var m = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal(1, m.Value("drover_listener_connections_total", ("listener", "raw")));
        Assert.Equal(1000, m.Value("drover_listener_bytes_in_total", ("listener", "raw")));
        Assert.Equal(1000, m.Value("drover_listener_bytes_out_total", ("listener", "raw")));
        Assert.Equal(1, m.Value("drover_backend_connections_total", ("pool", "p"), ("backend", "e")));
        Assert.Equal(1000, m.Value("drover_backend_bytes_in_total", ("pool", "p"), ("backend", "e")));
        Assert.Equal(1000, m.Value("drover_backend_bytes_out_total", ("pool", "p"), ("backend", "e")));
        Assert.Empty(m.All("drover_listener_requests_total", ("listener", "raw"))); // no HTTP statuses on an L4 listener
    }

    [Fact]
    public async Task Health_and_admin_gauges_follow_the_pool_and_the_cluster_gauges_this_member()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p {
                health { active { interval = 100ms, timeout = 500ms, rise = 1, fall = 1, jitter = 0% } }
                backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" }, { id = b2, address = "{{backends.All[1].EndPoint}}" } ]
              }
            }
            """);
        var pool = node.Runtime.Pools["p"];

        await backends.StopAsync("b2");
        var drained = await pool.Actor.Ask<PoolProtocol.AdminStateResult>(new PoolProtocol.SetAdminState("b1", AdminState.Drain), TimeSpan.FromSeconds(5));
        Assert.True(drained.Ok, drained.Message);

        PrometheusText m = null!;
        await Eventually.TrueAsync(async () =>
        {
            m = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
            return m.Value("drover_backend_health", ("pool", "p"), ("backend", "b2"), ("state", "down")) == 1
                   && m.Value("drover_cluster_members", ("status", "up")) == 1;
        }, Patience, "b2 is down and this member is up");

        Assert.Equal(0, m.Value("drover_backend_health", ("pool", "p"), ("backend", "b2"), ("state", "up")));
        Assert.Equal(1, m.Value("drover_backend_health", ("pool", "p"), ("backend", "b1"), ("state", "up")));
        Assert.True(m.Value("drover_backend_health_changes_total", ("pool", "p"), ("backend", "b2"), ("change", "down")) >= 1);
        Assert.Equal(1, m.Value("drover_backend_admin_state", ("pool", "p"), ("backend", "b1"), ("state", "drain")));
        Assert.Equal(0, m.Value("drover_backend_admin_state", ("pool", "p"), ("backend", "b1"), ("state", "ready")));
        Assert.Equal(1, m.Value("drover_backend_admin_state", ("pool", "p"), ("backend", "b2"), ("state", "ready")));
        Assert.Equal(0, m.Value("drover_pool_serving_backends", ("pool", "p")));
        Assert.Equal(0, m.Value("drover_cluster_members", ("status", "joining")));
        Assert.Equal(0, m.Value("drover_cluster_unreachable_members"));
        Assert.Equal(1, m.Value("drover_cluster_leader"));
        Assert.Equal(1, m.Value("drover_ready"));
        Assert.Equal(1, m.Value("drover_listener_up", ("listener", "web")));
        // The HTTP listener runs on the epoll engine (the default), so the loops are started and their gauge is exported.
        Assert.True(m.Samples.Where(s => s.Name == "drover_io_loop_sockets").Sum(s => s.Value) >= 1, "no socket on the event loops");
        Assert.True(m.Samples.Where(s => s.Name == "drover_io_loop_sleeps_total").Sum(s => s.Value) >= 1, "the loops have waited for events at least once");
        Assert.Contains(m.Samples, s => s.Name == "process_cpu_seconds_total");
    }

    [Fact]
    public async Task Queue_waiting_is_a_gauge_and_queued_requests_a_counter()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { max-connections = 1, queue { size = 10, timeout = 10s }, backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        var pool = node.Runtime.Pools["p"];

        var first = client.GetAsync("/delay/2000");
        await Eventually.TrueAsync(() => pool.Snapshot.Backends[0].Active == 1, Patience, "the slow request holds the only slot");
        var second = client.GetAsync("/delay/1");
        await Eventually.TrueAsync(() => pool.Queue!.Waiting == 1, Patience, "the second request waits");

        var waiting = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal(1, waiting.Value("drover_pool_queue_waiting", ("pool", "p")));
        Assert.Equal(1, waiting.Value("drover_backend_active", ("pool", "p"), ("backend", "b1")));

        using (var a = await first) Assert.Equal(HttpStatusCode.OK, a.StatusCode);
        using (var b = await second) Assert.Equal(HttpStatusCode.OK, b.StatusCode);
        var after = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal(0, after.Value("drover_pool_queue_waiting", ("pool", "p")));
        Assert.Equal(1, after.Value("drover_pool_queued_total", ("pool", "p")));
        Assert.Equal(0, after.Value("drover_pool_queue_timeouts_total", ("pool", "p")));
    }
}
