using System.Net;
using System.Net.Sockets;
using System.Text;
using Akka.Actor;
using Drover.Node.Pools;
using Drover.Node.Reload;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Reload;

/// <summary>
/// Hot reload of the drover section on a real node: what changes applies, and nothing that is open
/// (requests in flight, TCP connections, keep-alive connections, listening sockets) is dropped.
/// </summary>
public sealed class ReloadTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(20);

    private static string Backends(IEnumerable<(string Id, IPEndPoint EndPoint)> backends) =>
        string.Join(", ", backends.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"));

    private static string Backends(DemoBackends demo, params string[] ids) =>
        Backends(demo.All.Where(b => ids.Contains(b.Id)).Select(b => (b.Id, b.EndPoint)));

    private static async Task<string> BackendOfAsync(HttpClient client, string path = "/")
    {
        using var response = await client.GetAsync(path);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("X-Backend-Id").Single();
    }

    [Fact]
    public async Task An_added_backend_takes_traffic_and_the_ones_that_stay_keep_their_counters()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(params string[] ids) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { balance = round-robin, slow-start = 0s, backends = [ {{Backends(demo, ids)}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config("b1"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        for (var i = 0; i < 5; i++) Assert.Equal("b1", await BackendOfAsync(client));
        var pool = node.Pool("p");
        var b1 = pool.Snapshot.Find("b1")!;
        var version = pool.Snapshot.Version;

        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        var reload = await node.ReloadAsync(Config("b1", "b2"));
        output.WriteLine($"lb reload (file write, CLI connect, load, validate, apply) took {System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalMilliseconds:0} ms");
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: ~pool p (+b2)", reload.Output);

        var seen = new HashSet<string>();
        for (var i = 0; i < 10; i++) seen.Add(await BackendOfAsync(client));
        Assert.Equal(["b1", "b2"], seen.Order());
        // The same pool, the same backend object: its counters carried on.
        Assert.Same(pool, node.Pool("p"));
        Assert.Same(b1, pool.Snapshot.Find("b1"));
        Assert.True(b1.Requests >= 10, $"b1 counted {b1.Requests} requests");
        Assert.True(pool.Snapshot.Version > version);

        var again = await node.ReloadAsync(Config("b1", "b2"));
        Assert.Contains("reload: no changes", again.Output);
    }

    [Fact]
    public async Task New_weights_and_balance_apply_in_place_and_an_akka_change_is_noted_not_applied()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(int w2, string balance) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p {
                balance = {{balance}}, slow-start = 0s
                backends = [ { id = b1, address = "{{demo.All[0].EndPoint}}" }, { id = b2, address = "{{demo.All[1].EndPoint}}", weight = {{w2}} } ]
              }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config(1, "round-robin"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        var b2 = node.Pool("p").Snapshot.Find("b2")!;

        var reload = await node.ReloadAsync(Config(0, "least-connections"), akka: "akka.loglevel = ERROR");
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: ~pool p (weights, balance)", reload.Output);
        Assert.Contains("note: the akka section changed: akka section changes need a restart (not applied)", reload.Output);
        for (var i = 0; i < 6; i++) Assert.Equal("b1", await BackendOfAsync(client));
        Assert.Same(b2, node.Pool("p").Snapshot.Find("b2"));
        Assert.Equal(0, b2.ConfiguredWeight);
        Assert.Equal("least-connections", (await CliRunner.LinesAsync(node.Commands, "lb pools"))[0].Split(" | ")[1]);
    }

    [Fact]
    public async Task A_backend_added_back_by_reload_takes_the_weight_set_cluster_wide_with_lb_weight()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(params string[] ids) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ {{Backends(demo, ids)}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config("b1", "b2"));
        Assert.Equal("p/b2: weight 4/1 (set 4) | applied on every node", (await CliRunner.LinesAsync(node.Commands, "lb weight -p p -b b2 -w 4"))[0]);

        Assert.Equal(0, (await node.ReloadAsync(Config("b1"))).ExitCode);
        var back = await node.ReloadAsync(Config("b1", "b2"));
        Assert.True(back.ExitCode == 0, back.Error);
        var row = (await CliRunner.LinesAsync(node.Commands, "lb backends -p p")).Single(l => l.StartsWith("b2 |"));
        Assert.Contains("| weight 4/1 (set 4) |", row);
    }

    [Fact]
    public async Task A_state_changed_in_the_file_applies_and_an_unchanged_one_leaves_an_operators_drain_alone()
    {
        await using var demo = await DemoBackends.StartAsync(3);
        string Config(string b1State, int b3Weight) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p {
                slow-start = 0s
                backends = [
                  { id = b1, address = "{{demo.All[0].EndPoint}}", state = {{b1State}} }
                  { id = b2, address = "{{demo.All[1].EndPoint}}" }
                  { id = b3, address = "{{demo.All[2].EndPoint}}", weight = {{b3Weight}} }
                ]
              }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config("ready", 1));
        await CliRunner.LinesAsync(node.Commands, "lb drain -p p -b b2");

        var reload = await node.ReloadAsync(Config("maint", 2));
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: ~pool p (weights, state b1)", reload.Output);
        var backends = await CliRunner.LinesAsync(node.Commands, "lb backends -p p");
        Assert.Contains(backends, l => l.StartsWith("b1 | ") && l.Contains(" | maint"));
        Assert.Contains(backends, l => l.StartsWith("b2 | ") && l.Contains(" | drain"));
        Assert.Contains(backends, l => l.StartsWith("b3 | ") && l.Contains(" | ready") && l.Contains("weight 2/2"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        for (var i = 0; i < 4; i++) Assert.Equal("b3", await BackendOfAsync(client));
    }

    [Fact]
    public async Task New_health_settings_restart_the_checks_from_the_new_config()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(string health) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, {{health}} backends = [ {{Backends(demo, "b1", "b2")}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config(""));
        var pool = node.Pool("p");
        Assert.Equal(2, pool.Snapshot.Candidates.Length);

        // The demo backends answer /healthz with "ok": checks that expect another body take every backend down.
        var reload = await node.ReloadAsync(Config("health.active { path = \"/healthz\", expect-body = nope, interval = 200ms, timeout = 1s, fall = 1, rise = 1 },"));
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: ~pool p (health)", reload.Output);
        await Eventually.TrueAsync(() => pool.Snapshot.Candidates.Length == 0, Deadline, "the new checks took the backends down");

        // And back: checks that the backends pass bring them back.
        Assert.Equal(0, (await node.ReloadAsync(Config("health.active { path = \"/healthz\", interval = 200ms, timeout = 1s, fall = 1, rise = 1 },"))).ExitCode);
        await Eventually.TrueAsync(() => pool.Snapshot.Candidates.Length == 2, Deadline, "the healthy checks brought them back");
    }

    [Fact]
    public async Task Metrics_drop_what_a_reload_removed()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(string extra, params string[] ids) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              {{extra}}
              pools.p { backends = [ {{Backends(demo, ids)}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config("listeners.old { mode = tcp, bind = \"127.0.0.1:0\", pool = p }", "b1", "b2"));
        var admin = node.Node.Admin.EndPoint!;
        var before = await PrometheusText.ScrapeAsync(admin);
        Assert.Equal(1, before.Value("drover_backend_configured_weight", ("pool", "p"), ("backend", "b2")));
        Assert.Equal(1, before.Value("drover_listener_up", ("listener", "old")));

        Assert.Equal(0, (await node.ReloadAsync(Config("", "b1"))).ExitCode);
        var after = await PrometheusText.ScrapeAsync(admin);
        Assert.DoesNotContain(after.Samples, s => s.Labels.TryGetValue("backend", out var b) && b == "b2");
        Assert.DoesNotContain(after.Samples, s => s.Labels.TryGetValue("listener", out var l) && l == "old");
        Assert.Equal(1, after.Value("drover_backend_configured_weight", ("pool", "p"), ("backend", "b1")));
        Assert.Equal(1, after.Value("drover_listener_up", ("listener", "web")));
    }

    [Fact]
    public async Task An_added_backend_ramps_with_slow_start()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(params string[] ids) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { balance = round-robin, slow-start = 60s, backends = [ {{Backends(demo, ids)}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config("b1"));
        Assert.Equal(0, (await node.ReloadAsync(Config("b1", "b2"))).ExitCode);

        var state = await node.Pool("p").Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5));
        var old = state.Backends.Single(b => b.Id == "b1");
        var joined = state.Backends.Single(b => b.Id == "b2");
        Assert.True(joined.Weight < old.Weight, $"b2 joined at weight {joined.Weight}, b1 has {old.Weight}: no ramp");
    }

    [Fact]
    public async Task Removing_backends_keeps_the_slow_request_and_the_tcp_connection_on_them_intact()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        await using var echo1 = new TcpEchoServer();
        await using var echo2 = new TcpEchoServer();
        string Config(string[] http, string[] tcp) => $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = t }
              pools.p { balance = least-connections, slow-start = 0s, backends = [ {{Backends(demo, http)}} ] }
              pools.t { balance = least-connections, slow-start = 0s, backends = [ {{Backends(new[] { ("e1", echo1.EndPoint), ("e2", echo2.EndPoint) }.Where(e => tcp.Contains(e.Item1)))}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config(["b1", "b2"], ["e1", "e2"]));
        var p = node.Pool("p");
        var t = node.Pool("t");
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };

        var slow = client.GetAsync("/delay/4000");
        await Eventually.TrueAsync(() => p.Snapshot.Backends.Any(b => b.Active > 0), Deadline, "the slow request reached a backend");
        var busy = p.Snapshot.Backends.Single(b => b.Active > 0).Id;

        using var tcp = new TcpClient();
        await tcp.ConnectAsync(node.Listener("raw"));
        var stream = tcp.GetStream();
        await EchoAsync(stream, "before the reload");
        var bound = t.Snapshot.Backends.Single(b => b.Active > 0).Id;

        var reload = await node.ReloadAsync(Config([busy == "b1" ? "b2" : "b1"], [bound == "e1" ? "e2" : "e1"]));
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains($"~pool p (-{busy})", reload.Output);
        Assert.Contains($"~pool t (-{bound})", reload.Output);

        // New work goes to what is left...
        for (var i = 0; i < 4; i++) Assert.NotEqual(busy, await BackendOfAsync(client));
        var remaining = bound == "e1" ? echo2 : echo1;
        var accepted = remaining.Accepted;
        using (var other = new TcpClient())
        {
            await other.ConnectAsync(node.Listener("raw"));
            await EchoAsync(other.GetStream(), "a new connection");
            Assert.Equal(accepted + 1, remaining.Accepted);
        }

        // ...while what was in flight on the removed backends finishes as if nothing happened.
        await EchoAsync(stream, "after the reload");
        using var finished = await slow;
        Assert.Equal(HttpStatusCode.OK, finished.StatusCode);
        Assert.Equal($"{busy} waited 4000 ms\n", await finished.Content.ReadAsStringAsync());
        tcp.Client.Shutdown(SocketShutdown.Send);
        Assert.Equal(0, await stream.ReadAsync(new byte[16]));
    }

    [Fact]
    public async Task An_added_pool_and_route_take_traffic_at_once()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        await using var node = await ReloadNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { backends = [ {{Backends(demo, "b1")}} ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        Assert.Equal("b1", await BackendOfAsync(client, "/api/x"));

        var reload = await node.ReloadAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { path-prefix = "/api", pool = api }, { pool = p } ] }
              pools.p { backends = [ {{Backends(demo, "b1")}} ] }
              pools.api { backends = [ {{Backends(demo, "b2")}} ] }
            }
            """);
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: +pool api, ~listener web (routes)", reload.Output);
        Assert.Equal("b2", await BackendOfAsync(client, "/api/x"));
        Assert.Equal("b1", await BackendOfAsync(client, "/other"));
        Assert.Contains(await CliRunner.LinesAsync(node.Commands, "lb listeners"), l => l.StartsWith("web | http | ") && l.EndsWith("routes to api, p"));
        var pools = await CliRunner.LinesAsync(node.Commands, "lb pools");
        Assert.Contains(pools, l => l.StartsWith("api | "));
        Assert.Contains("Count: 2 pools", pools);
    }

    [Fact]
    public async Task A_removed_listener_finishes_its_request_in_flight_closes_the_connection_and_refuses_new_ones()
    {
        await using var demo = await DemoBackends.StartAsync(1);
        var pool = $"pools.p {{ backends = [ {Backends(demo, "b1")} ] }}";
        await using var node = await ReloadNode.StartAsync($$"""
            drover {
              listeners.old { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              {{pool}}
            }
            """);
        var old = node.Listener("old");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(old);
        // Keep-alive: one request answered, then a slow one in flight when the listener goes.
        Assert.Contains("200 OK", await ExchangeAsync(socket, "GET /first HTTP/1.1\r\nHost: x\r\n\r\n", "b1: GET /first"));
        await socket.SendAsync(Encoding.ASCII.GetBytes("GET /delay/4000 HTTP/1.1\r\nHost: x\r\n\r\n"), SocketFlags.None);
        await Eventually.TrueAsync(() => node.Pool("p").Snapshot.Backends[0].Active > 0, Deadline, "the slow request reached the backend");

        var reload = await node.ReloadAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              {{pool}}
            }
            """);
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: -listener old", reload.Output);

        // New connections are refused at once...
        await Eventually.TrueAsync(async () =>
        {
            using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(old);
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }, Deadline, "connections to the removed listener refused");
        // ...the request in flight completes, told that the connection closes, and then it does.
        var rest = Encoding.ASCII.GetString(await ReadToEndAsync(socket, Deadline));
        Assert.StartsWith("HTTP/1.1 200 OK", rest);
        Assert.Contains("Connection: close", rest, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("b1 waited 4000 ms\n", rest); // the demo backend's body, chunked
        Assert.EndsWith("0\r\n\r\n", rest); // and complete
        Assert.False(node.Node.Runtime.Listeners.ContainsKey("old"));
        // The other listener never noticed.
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        Assert.Equal("b1", await BackendOfAsync(client));
    }

    [Fact]
    public async Task A_route_moves_to_another_pool_on_the_same_socket_and_an_open_keep_alive_connection_follows()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        await using var node = await ReloadNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { backends = [ {{Backends(demo, "b1")}} ] }
            }
            """);
        var endPoint = node.Listener("web");
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        await socket.ConnectAsync(endPoint);
        Assert.Contains("b1: GET /", await ExchangeAsync(socket, "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "b1: GET /"));
        var retired = node.Pool("p");

        var reload = await node.ReloadAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = q } ] }
              pools.q { backends = [ {{Backends(demo, "b2")}} ] }
            }
            """);
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("reload: +pool q, -pool p, ~listener web (routes)", reload.Output);

        // The same socket (a port-0 bind kept its port) and the connection opened before: the next request goes to q.
        Assert.Equal(endPoint, node.Listener("web"));
        Assert.Contains("b2: GET /again", await ExchangeAsync(socket, "GET /again HTTP/1.1\r\nHost: x\r\n\r\n", "b2: GET /again"));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{endPoint}") };
        Assert.Equal("b2", await BackendOfAsync(client));
        Assert.False(node.Node.Runtime.Pools.ContainsKey("p"));
        // The removed pool's actor stops once nothing is in flight on it.
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                await retired.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromMilliseconds(500));
                return false;
            }
            catch (AskTimeoutException)
            {
                return true;
            }
        }, Deadline, "the removed pool's actor stopped");
    }

    [Fact]
    public async Task An_invalid_config_is_rejected_with_every_key_path_and_the_running_one_keeps_serving()
    {
        await using var demo = await DemoBackends.StartAsync(1);
        var valid = $$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { backends = [ {{Backends(demo, "b1")}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(valid);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        // The config objects, not the snapshot version: a pool publishes a new snapshot on its own
        // when a backend's health or admin state arrives, which may land after this line.
        var runningConfig = node.Node.Runtime.Config;
        var poolConfig = node.Pool("p").Config;

        var invalid = await node.ReloadAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = nope } ] }
              pools.p { balance = fastest, backends = [ {{Backends(demo, "b1")}} ] }
            }
            """);
        Assert.NotEqual(0, invalid.ExitCode);
        var error = Assert.Single(invalid.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("lb reload: rejected, the running config stays: 2 problems:", error);
        Assert.Contains("drover.listeners.web.routes[0].pool: unknown pool 'nope'", error);
        Assert.Contains("drover.pools.p.balance: unknown balance mode 'fastest'", error);

        // The node's log says the same.
        var log = await CliRunner.LinesAsync(node.Commands, "log peek -c 50");
        Assert.Contains(log, l => l.Contains("reload (lb reload): rejected, the running config stays: 2 problems:") && l.Contains("drover.pools.p.balance"));

        // A valid file with a change that needs a restart is rejected too, naming the key.
        var restart = await node.ReloadAsync(valid.Replace("drover {", "drover {\n  demo { backends = 2, first-port = 1 }"));
        Assert.NotEqual(0, restart.ExitCode);
        Assert.Contains("drover.demo: the demo backends start with the node; a change needs a restart", restart.Error);

        // So is a new listener on a port in use: nothing of the reload applies.
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var busy = await node.ReloadAsync(valid.Replace("drover {", $"drover {{\n  listeners.more {{ mode = tcp, bind = \"127.0.0.1:{taken}\", pool = p }}"));
        Assert.NotEqual(0, busy.ExitCode);
        Assert.Contains($"drover.listeners.more.bind: 127.0.0.1:{taken} is already in use", busy.Error);
        Assert.False(node.Node.Runtime.Listeners.ContainsKey("more"));

        Assert.Equal("b1", await BackendOfAsync(client));
        Assert.Same(runningConfig, node.Node.Runtime.Config);
        Assert.Same(poolConfig, node.Pool("p").Config);
        Assert.Equal("p", Assert.Single(node.Node.Runtime.Config.Pools).Name);
        Assert.Equal("p", Assert.Single(node.Node.Runtime.Config.Listeners[0].Routes).Pool);
    }

    [Fact]
    public async Task A_listener_moves_to_a_new_port_and_the_old_port_drains()
    {
        await using var demo = await DemoBackends.StartAsync(1);
        var port = FreePort.Next();
        string Config(string bind) => $$"""
            drover {
              listeners.web { mode = http, bind = "{{bind}}", routes = [ { pool = p } ] }
              pools.p { backends = [ {{Backends(demo, "b1")}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config("127.0.0.1:0"));
        var before = node.Listener("web");
        var reload = await node.ReloadAsync(Config($"127.0.0.1:{port}"));
        Assert.True(reload.ExitCode == 0, reload.Error);
        Assert.Contains("~listener web (bind, rebind)", reload.Output);

        await Eventually.TrueAsync(() => node.Node.Runtime.Listeners.TryGetValue("web", out var bound) && ((IPEndPoint)bound).Port == port,
            Deadline, "the listener bound its new port");
        using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        Assert.Equal("b1", await BackendOfAsync(client));
        await Eventually.TrueAsync(async () =>
        {
            using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
            try
            {
                await probe.ConnectAsync(before);
                return false;
            }
            catch (SocketException)
            {
                return true;
            }
        }, Deadline, "the old port closed");
    }

    [Fact]
    public async Task A_changed_file_reloads_by_itself_when_watched()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        string Config(string backends) => $$"""
            drover {
              reload.watch = on
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ {{backends}} ] }
            }
            """;
        await using var node = await ReloadNode.StartAsync(Config(Backends(demo, "b1")));
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Listener("web")}") };
        var pool = node.Pool("p");

        // An invalid file is left alone (the log says why)...
        await node.WriteAsync(Config("{ id = b9, address = \"not an address\" }"));
        await Task.Delay(ReloadService.Debounce * 4);
        Assert.Equal("b1", Assert.Single(pool.Snapshot.Backends).Id);
        Assert.Equal("b1", await BackendOfAsync(client));

        // ...a valid one applies without anyone asking.
        await node.WriteAsync(Config(Backends(demo, "b1", "b2")));
        await Eventually.TrueAsync(() => pool.Snapshot.Backends.Length == 2, Deadline, "the watcher reloaded the file");
        var seen = new HashSet<string>();
        for (var i = 0; i < 6; i++) seen.Add(await BackendOfAsync(client));
        Assert.Equal(["b1", "b2"], seen.Order());
    }

    [Fact]
    public async Task A_kubernetes_configmap_update_is_seen_by_the_watcher()
    {
        // The layout kubelet writes for a mounted ConfigMap: drover.hocon -> ..data/drover.hocon,
        // ..data -> ..2026_a; an update writes a new timestamped directory and renames a new
        // ..data symlink over the old one, so no event ever names drover.hocon itself.
        await using var demo = await DemoBackends.StartAsync(2);
        var directory = Directory.CreateTempSubdirectory("drover-configmap-").FullName;
        string Config(params string[] ids) => $$"""
            {{TestNode.CmdForTests}}
            {{TestNode.AdminForTests}}
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ {{Backends(demo, ids)}} ] }
            }
            {{TestNode.AkkaForTests}}
            """;
        void Publish(string version, string text)
        {
            Directory.CreateDirectory(Path.Combine(directory, version));
            File.WriteAllText(Path.Combine(directory, version, "drover.hocon"), text);
            var temp = Path.Combine(directory, "..data_tmp");
            File.CreateSymbolicLink(temp, version);
            // rename(2) of a symlink over a symlink, as kubelet does (File.Move follows the link to its directory).
            using var mv = System.Diagnostics.Process.Start("mv", ["-Tf", temp, Path.Combine(directory, "..data")])!;
            mv.WaitForExit();
            Assert.Equal(0, mv.ExitCode);
        }
        try
        {
            Publish("..2026_a", Config("b1"));
            File.CreateSymbolicLink(Path.Combine(directory, "drover.hocon"), Path.Combine("..data", "drover.hocon"));
            var config = Hosting.ConfigLoader.Load(Path.Combine(directory, "drover.hocon"), new System.Collections.Hashtable());
            await using var node = await TestNode.StartAsync(config);
            var pool = node.Runtime.Pools["p"];
            Assert.Equal("b1", Assert.Single(pool.Snapshot.Backends).Id);

            Publish("..2026_b", Config("b1", "b2"));
            await Eventually.TrueAsync(() => pool.Snapshot.Backends.Length == 2, Deadline, "the watcher saw the ConfigMap update");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task EchoAsync(NetworkStream stream, string text)
    {
        var bytes = Encoding.ASCII.GetBytes(text);
        await stream.WriteAsync(bytes);
        var back = new byte[bytes.Length];
        await stream.ReadExactlyAsync(back).AsTask().WaitAsync(Deadline);
        Assert.Equal(text, Encoding.ASCII.GetString(back));
    }

    /// <summary>
    /// Sends <paramref name="request"/> and reads until <paramref name="until"/> has arrived and, for a
    /// chunked response (the demo backends'), its last chunk too: the next response on the connection
    /// must not start with this one's tail (the last chunk can come in a segment of its own).
    /// </summary>
    private static async Task<string> ExchangeAsync(Socket socket, string request, string until)
    {
        await socket.SendAsync(Encoding.ASCII.GetBytes(request), SocketFlags.None);
        using var deadline = new CancellationTokenSource(Deadline);
        var received = new StringBuilder();
        var buffer = new byte[4096];
        while (!IsComplete(received.ToString(), until))
        {
            var read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token);
            if (read == 0) break;
            received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        return received.ToString();
    }

    private static bool IsComplete(string received, string until) =>
        received.Contains(until)
        && (!received.Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) || received.EndsWith("0\r\n\r\n", StringComparison.Ordinal));

    private static async Task<byte[]> ReadToEndAsync(Socket socket, TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        var received = new MemoryStream();
        var buffer = new byte[4096];
        int read;
        while ((read = await socket.ReceiveAsync(buffer, SocketFlags.None, deadline.Token)) > 0) received.Write(buffer, 0, read);
        return received.ToArray();
    }
}
