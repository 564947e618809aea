using System.Net;
using Akka.Actor;
using Drover.Node.Admin;
using Drover.Node.LoadBalancing;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;

namespace Drover.Node.Tests.Admin;

/// <summary><c>/healthz</c> and <c>/readyz</c>: ready once listeners are bound and the member is up; not ready from the first moment of shutdown.</summary>
public sealed class ReadinessTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    // The drain deadline well above the 1.5 s request that keeps it going (the tests' default of 2 s left it 0.5 s
    // of slack, which a loaded CI machine once used up: the request failed, at about the deadline). A drain
    // ends when its requests do, so this costs nothing when all goes well.
    private static string Drover(DemoBackends backends) => $$"""
        drover {
          shutdown { ready-delay = 0s, drain-timeout = 10s }
          listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
          pools.p.backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ]
        }
        """;

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(IPEndPoint admin, string path)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        using var response = await client.GetAsync($"http://{admin}{path}");
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Healthz_is_ok_and_readyz_turns_ready_once_the_member_is_up()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync(Drover(backends));
        var admin = node.Admin.EndPoint!;

        Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync(admin, "/healthz"));
        await Eventually.TrueAsync(async () => (await GetAsync(admin, "/readyz")).Status == HttpStatusCode.OK, Patience, "ready");
        Assert.Equal((HttpStatusCode.OK, "ready\n"), await GetAsync(admin, "/readyz"));
    }

    [Fact]
    public async Task Readyz_fails_at_once_when_the_node_stops_while_requests_still_drain()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        var node = await TestNode.StartAsync(Drover(backends));
        try
        {
            var admin = node.Admin.EndPoint!;
            await Eventually.TrueAsync(async () => (await GetAsync(admin, "/readyz")).Status == HttpStatusCode.OK, Patience, "ready");
            using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
            var slow = client.GetAsync("/delay/1500");
            await Eventually.TrueAsync(() => node.Runtime.Pools["p"].Snapshot.Backends[0].Active == 1, Patience, "the slow request is in flight");

            var stopping = node.StopAsync();
            await Eventually.TrueAsync(async () => (await GetAsync(admin, "/readyz")).Status == HttpStatusCode.ServiceUnavailable, Patience, "not ready");
            Assert.False(slow.IsCompleted, "readiness must fail while the request still drains, not after");
            Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready: shutting down\n"), await GetAsync(admin, "/readyz"));
            Assert.Equal((HttpStatusCode.OK, "ok\n"), await GetAsync(admin, "/healthz")); // alive, just not taking traffic

            using (var done = await slow) Assert.Equal(HttpStatusCode.OK, done.StatusCode);
            await stopping.WaitAsync(TimeSpan.FromSeconds(30));
            await Assert.ThrowsAnyAsync<HttpRequestException>(() => GetAsync(admin, "/healthz")); // the endpoint stopped with the node
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Readyz_fails_when_coordinated_shutdown_starts_as_for_a_cluster_leave()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync(Drover(backends));
        var admin = node.Admin.EndPoint!;
        await Eventually.TrueAsync(async () => (await GetAsync(admin, "/readyz")).Status == HttpStatusCode.OK, Patience, "ready");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        var slow = client.GetAsync("/delay/1500"); // keeps the drain (and so the endpoint) going for a while

        await Eventually.TrueAsync(() => node.Runtime.Pools["p"].Snapshot.Backends[0].Active == 1, Patience, "the slow request is in flight");
        _ = CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
        await Eventually.TrueAsync(() => node.Admin.ShuttingDown, Patience, "the first phase marked the node as shutting down");
        Assert.Equal((HttpStatusCode.ServiceUnavailable, "not ready: shutting down\n"), await GetAsync(admin, "/readyz"));
        using (var done = await slow) Assert.Equal(HttpStatusCode.OK, done.StatusCode);
    }

    /// <summary>
    /// The drills' failure: a client that picked the node from a readiness answer up to a poll old met
    /// a closing listener. With <c>drover.shutdown.ready-delay</c> the listener keeps serving that long
    /// after <c>/readyz</c> turned 503, so clients that follow readiness never meet it closed.
    /// </summary>
    [Theory]
    [InlineData("host-stop")]      // SIGTERM: the generic host stops, which runs CoordinatedShutdown
    [InlineData("cluster-leave")]  // cluster leave: CoordinatedShutdown runs once the member exits
    public async Task Readyz_turns_503_a_ready_delay_before_the_listener_stops_accepting_and_no_request_fails(string how)
    {
        var readyDelay = TimeSpan.FromSeconds(2);
        await using var backends = await DemoBackends.StartAsync(1);
        var node = await TestNode.StartAsync(Drover(backends) + "\ndrover.shutdown.ready-delay = 2s");
        try
        {
            var admin = node.Admin.EndPoint!;
            await Eventually.TrueAsync(async () => (await GetAsync(admin, "/readyz")).Status == HttpStatusCode.OK, Patience, "ready");
            await using var load = new ReadinessFollowingLoad(node.Runtime.ListenerEndPoint("web"), admin);
            load.Start();
            await Eventually.TrueAsync(() => load.Sent >= 20, Patience, "traffic flows");

            var stopping = how == "host-stop"
                ? node.StopAsync()
                : CoordinatedShutdown.Get(node.System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
            await stopping.WaitAsync(TimeSpan.FromSeconds(60));
            await Eventually.TrueAsync(() => load.FirstRefused is not null, Patience, "the listener refuses connections once stopped");
            await load.StopAsync();
            output.WriteLine($"{how}, ready-delay {readyDelay.TotalSeconds:0} s: {load}");

            Assert.True(load.Failures.IsEmpty, $"requests failed: {string.Join("; ", load.Failures.Take(5))}");
            Assert.NotNull(load.FirstNotReady);
            Assert.True(load.FirstRefused > load.FirstNotReady, "/readyz must turn 503 before the listener refuses connections");
            // The gap is the ready delay less the poller's lag; half of it leaves room for a busy machine.
            Assert.True(load.FirstRefused - load.FirstNotReady >= readyDelay / 2,
                $"the listener closed {(load.FirstRefused - load.FirstNotReady)!.Value.TotalMilliseconds:0} ms after /readyz turned 503, expected about {readyDelay.TotalMilliseconds:0} ms");
            Assert.True(load.BlindServedAfterNotReady > 0, "the listener must keep serving during the ready delay");
        }
        finally
        {
            await node.DisposeAsync();
        }
    }

    [Fact]
    public async Task Not_ready_names_the_reason_while_listeners_are_not_bound()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync(Drover(backends));
        // A runtime whose listeners never bound, judged with this node's actor system.
        var readiness = new Readiness(new DroverRuntime(), new AdminRuntime(), node.System);
        Assert.Equal(new Readiness.Result(false, "listeners not bound yet"), readiness.Check());
    }
}
