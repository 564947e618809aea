using System.Diagnostics;
using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Net;
using Drover.Core.Pools;
using Drover.Node.Health;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Health;

public sealed class HealthCheckActorSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    private static readonly ActiveHealthConfig Http = ActiveHealthConfig.HttpDefaults with
    {
        Interval = TimeSpan.FromMilliseconds(100),
        Timeout = TimeSpan.FromSeconds(1),
        Jitter = 0.2,
    };

    private static readonly ActiveHealthConfig Tcp = Http with { Type = ActiveCheckType.Tcp };

    private static Backend BackendAt(int port, string id = "b1", int ordinal = 3) =>
        new("p", new BackendConfig(id, new HostPort("127.0.0.1", port)), ordinal);

    private (IActorRef Actor, TestProbe Reports) Start(ActiveHealthConfig config, Backend backend)
    {
        var reports = CreateTestProbe();
        var actor = Sys.ActorOf(HealthCheckActor.Props(config, backend, reports.Ref));
        return (actor, reports);
    }

    [Fact]
    public async Task Http_probe_of_a_healthy_demo_backend_is_ok()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        var backend = BackendAt(backends.All[0].EndPoint.Port);
        var (_, reports) = Start(Http with { ExpectBody = "ok" }, backend);

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.Equal((3, "b1", true, "status 200"), (result.Ordinal, result.BackendId, result.Ok, result.Detail));
        Assert.True(result.Elapsed > TimeSpan.Zero);
        // And it keeps probing.
        Assert.True(reports.ExpectMsg<ProbeResult>(Wait).Ok);
    }

    [Fact]
    public void Http_probe_of_a_closed_port_fails_with_connect_refused()
    {
        var (_, reports) = Start(Http, BackendAt(FreePort.Next()));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.False(result.Ok);
        Assert.Equal("connect refused", result.Detail);
    }

    [Fact]
    public async Task Http_probe_fails_on_a_status_outside_the_expected_range()
    {
        await using var server = new HttpStubServer(status: 500, body: "oops");
        var (_, reports) = Start(Http, BackendAt(server.EndPoint.Port));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.False(result.Ok);
        Assert.Equal("status 500 (expected 200-399)", result.Detail);
    }

    [Fact]
    public async Task Http_probe_accepts_a_custom_status_range()
    {
        await using var server = new HttpStubServer(status: 503);
        var (_, reports) = Start(Http with { ExpectStatus = new StatusRange(500, 503) }, BackendAt(server.EndPoint.Port));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.Equal((true, "status 503"), (result.Ok, result.Detail));
    }

    [Fact]
    public async Task Http_probe_fails_when_the_body_lacks_the_expected_text()
    {
        await using var server = new HttpStubServer(status: 200, body: "degraded\n");
        var (_, reports) = Start(Http with { ExpectBody = "ok" }, BackendAt(server.EndPoint.Port));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.False(result.Ok);
        Assert.Equal("body lacks 'ok'", result.Detail);
    }

    [Fact]
    public async Task Http_probe_finds_the_body_text_in_a_chunked_body_and_only_in_the_first_64_KiB()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        var port = backends.All[0].EndPoint.Port;
        // The demo backend's /bytes/N is N 'x's: within 64 KiB the text is found, beyond it not.
        var (_, near) = Start(Http with { Path = "/bytes/1000", ExpectBody = "xxx" }, BackendAt(port));
        Assert.True(near.ExpectMsg<ProbeResult>(Wait).Ok);

        await using var server = new HttpStubServer(body: new string('x', 70 * 1024) + "ok");
        var (_, far) = Start(Http with { ExpectBody = "ok" }, BackendAt(server.EndPoint.Port));
        Assert.Equal("body lacks 'ok'", far.ExpectMsg<ProbeResult>(Wait).Detail);
    }

    [Fact]
    public async Task Http_probe_of_a_server_that_never_answers_times_out_and_closes_the_connection()
    {
        await using var server = new HttpStubServer(mode: HttpStubServer.Mode.NeverAnswer);
        var (_, reports) = Start(Http with { Timeout = TimeSpan.FromSeconds(1) }, BackendAt(server.EndPoint.Port));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.False(result.Ok);
        Assert.Equal("timeout after 1s", result.Detail);
        Assert.True(result.Elapsed >= TimeSpan.FromMilliseconds(900), $"elapsed {result.Elapsed}");
        AwaitCondition(() => server.ClosedByClient >= 1, Wait);
    }

    [Fact]
    public async Task Http_probe_reports_a_reset_connection()
    {
        await using var server = new HttpStubServer(mode: HttpStubServer.Mode.Reset);
        var (_, reports) = Start(Http, BackendAt(server.EndPoint.Port));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.False(result.Ok);
        Assert.Equal("connection reset", result.Detail);
    }

    [Fact]
    public async Task Http_probe_sends_the_backend_address_as_host_by_default_with_connection_close_and_a_user_agent()
    {
        await using var server = new HttpStubServer();
        var (_, reports) = Start(Http with { Path = "/status?full=1" }, BackendAt(server.EndPoint.Port));

        Assert.True(reports.ExpectMsg<ProbeResult>(Wait).Ok);
        var lines = server.Heads[0].Split("\r\n");
        Assert.Equal("GET /status?full=1 HTTP/1.1", lines[0]);
        Assert.Contains($"Host: 127.0.0.1:{server.EndPoint.Port}", lines);
        Assert.Contains("Connection: close", lines);
        Assert.Contains("User-Agent: drover-health/1", lines);
        Assert.Single(lines, l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public async Task Http_probe_sends_the_configured_host()
    {
        await using var server = new HttpStubServer();
        var (_, reports) = Start(Http with { Host = "health.example" }, BackendAt(server.EndPoint.Port));

        Assert.True(reports.ExpectMsg<ProbeResult>(Wait).Ok);
        var lines = server.Heads[0].Split("\r\n");
        Assert.Contains("Host: health.example", lines);
        Assert.Single(lines, l => l.StartsWith("Host:", StringComparison.OrdinalIgnoreCase));

        // A real Kestrel backend sees it too: its /headers page echoes the request headers.
        await using var backends = await DemoBackends.StartAsync(1);
        var (_, demo) = Start(Http with { Host = "health.example", Path = "/headers", ExpectBody = "Host: health.example" },
            BackendAt(backends.All[0].EndPoint.Port));
        Assert.True(demo.ExpectMsg<ProbeResult>(Wait).Ok);
    }

    [Fact]
    public async Task Every_probe_uses_a_new_connection_even_when_the_backend_keeps_it_alive()
    {
        await using var server = new HttpStubServer(keepAlive: true);
        var (_, reports) = Start(Http with { Interval = TimeSpan.FromMilliseconds(50) }, BackendAt(server.EndPoint.Port));

        for (var i = 0; i < 4; i++) Assert.True(reports.ExpectMsg<ProbeResult>(Wait).Ok);
        Assert.True(server.Heads.Count >= 4);
        Assert.Equal(server.Heads.Count, server.Accepted);
    }

    [Fact]
    public async Task Tcp_probe_is_ok_when_the_port_accepts()
    {
        await using var server = new TcpEchoServer();
        var (_, reports) = Start(Tcp, BackendAt(server.EndPoint.Port));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.Equal((true, "connected"), (result.Ok, result.Detail));
        AwaitCondition(() => server.Accepted >= 1, Wait);
    }

    [Fact]
    public void Tcp_probe_of_a_closed_port_fails_with_connect_refused()
    {
        var (_, reports) = Start(Tcp, BackendAt(FreePort.Next()));

        var result = reports.ExpectMsg<ProbeResult>(Wait);
        Assert.Equal((false, "connect refused"), (result.Ok, result.Detail));
    }

    [Fact]
    public void The_first_probe_comes_within_the_jitter_spread_not_after_a_whole_interval()
    {
        // With a 30 s interval and 1% jitter, the first probe is due within 0.6 s.
        var (_, reports) = Start(Tcp with { Interval = TimeSpan.FromSeconds(30), Jitter = 0.01 }, BackendAt(FreePort.Next()));

        reports.ExpectMsg<ProbeResult>(Wait);
    }

    [Fact]
    public void The_first_delay_spreads_over_the_jitter_window_capped_at_one_interval()
    {
        var config = ActiveHealthConfig.HttpDefaults with { Interval = TimeSpan.FromSeconds(2), Jitter = 0.1 };
        Assert.Equal(TimeSpan.Zero, HealthCheckActor.FirstDelay(config, 0));
        Assert.Equal(TimeSpan.FromMilliseconds(200), HealthCheckActor.FirstDelay(config, 0.5));
        Assert.Equal(TimeSpan.FromMilliseconds(400), HealthCheckActor.FirstDelay(config, 1));
        Assert.Equal(TimeSpan.FromSeconds(2), HealthCheckActor.FirstDelay(config with { Jitter = 0.9 }, 1));
        Assert.Equal(TimeSpan.Zero, HealthCheckActor.FirstDelay(config with { Jitter = 0 }, 1));
        Assert.Equal(TimeSpan.FromMilliseconds(400), HealthCheckActor.FirstDelay(config, double.PositiveInfinity));
    }

    [Fact]
    public async Task Probes_of_one_backend_never_overlap_and_the_next_waits_for_the_previous()
    {
        // The server takes 150 ms per answer, longer than the 50 ms interval: a timer that ignored the
        // probe in flight would start a second one alongside.
        await using var server = new HttpStubServer(delay: TimeSpan.FromMilliseconds(150));
        var config = Http with { Interval = TimeSpan.FromMilliseconds(50), Jitter = 0.5 };
        var (_, reports) = Start(config, BackendAt(server.EndPoint.Port));

        for (var i = 0; i < 5; i++) Assert.True(reports.ExpectMsg<ProbeResult>(Wait).Ok);
        Assert.Equal(1, server.MaxConcurrent);
        var served = server.Served;
        var minimumGap = config.NextDelay(0) / 2; // half the shortest delay (25 ms): slack for timer ticks, yet far from overlapping
        for (var i = 1; i < served.Count; i++)
        {
            var gap = Stopwatch.GetElapsedTime(served[i - 1].End, served[i].Start);
            Assert.True(gap >= minimumGap, $"probe {i} started {gap.TotalMilliseconds:0.0} ms after the previous answer");
        }
    }

    [Fact]
    public async Task Stopping_the_actor_stops_probing()
    {
        await using var server = new HttpStubServer();
        var (actor, reports) = Start(Http with { Interval = TimeSpan.FromMilliseconds(50) }, BackendAt(server.EndPoint.Port));
        reports.ExpectMsg<ProbeResult>(Wait);
        reports.ExpectMsg<ProbeResult>(Wait);

        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor, Wait);
        var accepted = server.Accepted;
        reports.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
        Assert.Equal(accepted, server.Accepted);
    }

    [Fact]
    public async Task Stopping_the_actor_cancels_the_probe_in_flight_and_drops_its_result()
    {
        await using var server = new HttpStubServer(mode: HttpStubServer.Mode.NeverAnswer);
        var (actor, reports) = Start(Http with { Timeout = TimeSpan.FromSeconds(30) }, BackendAt(server.EndPoint.Port));
        AwaitCondition(() => server.Heads.Count == 1, Wait);

        Watch(actor);
        Sys.Stop(actor);
        ExpectTerminated(actor, Wait);
        // The connection is closed at once, long before the 30 s timeout.
        AwaitCondition(() => server.ClosedByClient == 1, Wait);
        reports.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public async Task With_checks_off_nothing_is_probed()
    {
        await using var server = new HttpStubServer();
        var (_, reports) = Start(ActiveHealthConfig.Off with { Interval = TimeSpan.FromMilliseconds(50) }, BackendAt(server.EndPoint.Port));

        reports.ExpectNoMsg(TimeSpan.FromMilliseconds(400));
        Assert.Equal(0, server.Accepted);
    }
}
