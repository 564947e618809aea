using System.Net;
using System.Net.Sockets;
using Drover.Core.Net;
using Drover.Node.Demo;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Processes;

/// <summary>The node as a user runs it: a separate process, its exit code and its output.</summary>
public sealed class NodeProcessTests
{
    private static string WriteConfig(string drover)
    {
        var path = Path.Combine(Path.GetTempPath(), $"drover-test-{Guid.NewGuid():N}.hocon");
        // Only a drover section and a free remoting port: the node supplies the rest of Akka's settings.
        File.WriteAllText(path, drover + "\nakka.remote.dot-netty.tcp.port = 0\n");
        return path;
    }

    [Fact]
    public async Task An_invalid_config_exits_2_naming_the_key_before_anything_binds()
    {
        var port = FreePort.Next();
        var path = WriteConfig($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:{{port}}", routes = [ { pool = nope } ] }
              pools.p { balance = fastest, backends = [ { id = a, address = "127.0.0.1:1" } ] }
            }
            """);
        await using var node = NodeProcess.Start("--config", path);

        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("drover.listeners.web.routes[0].pool: unknown pool 'nope'", node.Stderr);
        Assert.Contains("drover.pools.p.balance: unknown balance mode 'fastest'", node.Stderr);
        // Nothing was bound: the port is still free.
        using var probe = new TcpListener(IPAddress.Loopback, port);
        probe.Start();
    }

    [Fact]
    public async Task A_listener_port_in_use_exits_2_naming_the_listener()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        var taken = ((IPEndPoint)squatter.LocalEndpoint).Port;
        var free = FreePort.Next();
        var path = WriteConfig($$"""
            drover {
              listeners.a { mode = tcp, bind = "127.0.0.1:{{free}}", pool = p }
              listeners.b { mode = tcp, bind = "127.0.0.1:{{taken}}", pool = p }
              pools.p.backends = [ { id = x, address = "127.0.0.1:1" } ]
            }
            """);
        await using var node = NodeProcess.Start("--config", path);

        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains($"drover.listeners.b.bind: 127.0.0.1:{taken} is already in use", node.Stderr);
        using var probe = new TcpListener(IPAddress.Loopback, free);
        probe.Start(); // listener a never bound either
    }

    [Fact]
    public async Task A_missing_config_file_exits_2()
    {
        await using var node = NodeProcess.Start("--config", "/nonexistent/drover.hocon");
        Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("--config: file '/nonexistent/drover.hocon' does not exist", node.Stderr);
    }

    [Fact]
    public async Task The_default_config_serves_three_demo_backends_in_turn()
    {
        var web = FreePort.Next();
        var raw = FreePort.Next();
        var firstDemo = FreePort.Run(3); // b1, b2, b3 on three ports in a row
        // The repository's akka.hocon, with ports moved by environment overrides so the test cannot collide.
        var environment = new Dictionary<string, string>
        {
            ["DROVER__LISTENERS__WEB__BIND"] = $"127.0.0.1:{web}",
            ["DROVER__LISTENERS__RAW__BIND"] = $"127.0.0.1:{raw}",
            ["DROVER__DEMO__FIRST_PORT"] = $"{firstDemo}",
            // A list given by environment replaces the file's list whole, so each entry is complete.
            ["DROVER__POOLS__DEMO__BACKENDS__0__ID"] = "b1",
            ["DROVER__POOLS__DEMO__BACKENDS__0__ADDRESS"] = $"127.0.0.1:{firstDemo}",
            ["DROVER__POOLS__DEMO__BACKENDS__1__ID"] = "b2",
            ["DROVER__POOLS__DEMO__BACKENDS__1__ADDRESS"] = $"127.0.0.1:{firstDemo + 1}",
            ["DROVER__POOLS__DEMO__BACKENDS__2__ID"] = "b3",
            ["DROVER__POOLS__DEMO__BACKENDS__2__ADDRESS"] = $"127.0.0.1:{firstDemo + 2}",
            ["AKKA__REMOTE__DOT_NETTY__TCP__PORT"] = "0",
        };
        await using var node = NodeProcess.Start(environment, "--config", Path.Combine(AppContext.BaseDirectory, "akka.hocon"));
        await node.WaitForOutputAsync($"tcp listener raw on 127.0.0.1:{raw}", TimeSpan.FromSeconds(60));

        using var client = new HttpClient();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            var body = await client.GetStringAsync($"http://127.0.0.1:{web}/");
            ids.Add(body.Split(':')[0]);
        }
        Assert.Equal(["b1", "b2", "b3"], ids.Order());

        // The TCP listener reaches the same backends.
        using var tcp = new HttpClient();
        Assert.Matches("^b[123]: GET /via-tcp", await tcp.GetStringAsync($"http://127.0.0.1:{raw}/via-tcp"));
    }

    [Fact]
    public async Task A_100_MiB_upload_does_not_sit_in_the_proxy_memory()
    {
        await using var backend = await DemoBackend.StartAsync("sink", new HostPort("127.0.0.1", 0));
        var web = FreePort.Next();
        var path = WriteConfig($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:{{web}}", routes = [ { pool = p } ] }
              pools.p.backends = [ { id = sink, address = "{{backend.EndPoint}}" } ]
            }
            """);
        await using var node = NodeProcess.Start("--config", path);
        // The default engine on Linux: the upload below streams through the epoll loops.
        await node.WaitForOutputAsync($"http listener web on 127.0.0.1:{web} (epoll engine)", TimeSpan.FromSeconds(60));
        using var client = new HttpClient();
        await client.GetStringAsync($"http://127.0.0.1:{web}/warm-up");
        var before = node.PeakRssBytes;

        const long size = 100L * 1024 * 1024;
        var content = new StreamContent(new PatternStream(size));
        using var response = await client.PostAsync($"http://127.0.0.1:{web}/sink", content);
        Assert.StartsWith($"{size} ", await response.Content.ReadAsStringAsync());

        var growth = node.PeakRssBytes - before;
        Assert.True(growth < 40L * 1024 * 1024, $"peak RSS grew by {growth / 1048576} MiB while streaming 100 MiB");
    }

    [Fact]
    public async Task SIGTERM_lets_a_request_in_flight_finish_then_exits_0()
    {
        await using var backend = await DemoBackend.StartAsync("slow", new HostPort("127.0.0.1", 0));
        var web = FreePort.Next();
        var path = WriteConfig($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:{{web}}", routes = [ { pool = p } ] }
              pools.p.backends = [ { id = slow, address = "{{backend.EndPoint}}" } ]
            }
            """);
        await using var node = NodeProcess.Start("--config", path);
        await node.WaitForOutputAsync("http listener web", TimeSpan.FromSeconds(60));
        using var client = new HttpClient();

        var inFlight = client.GetAsync($"http://127.0.0.1:{web}/delay/1500");
        await Task.Delay(300);
        node.Terminate();

        using var response = await inFlight;
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("slow waited 1500 ms\n", await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task The_node_watches_its_config_directory_and_nothing_under_its_working_directory()
    {
        // Every Kestrel server in the node (listener, admin endpoint, demo backend) once kept ASP.NET's
        // appsettings.json watcher: an inotify watch on the working directory and each directory below
        // it, and CPU spent on every file written anywhere in that tree.
        var cwd = Directory.CreateTempSubdirectory("drover-cwd-");
        try
        {
            for (var i = 0; i < 4; i++) Directory.CreateDirectory(Path.Combine(cwd.FullName, $"d{i}", "sub"));
            var demo = FreePort.Next();
            var path = WriteConfig($$"""
                drover {
                  demo { backends = 1, first-port = {{demo}} }
                  listeners.web { mode = http, bind = "127.0.0.1:{{FreePort.Next()}}", routes = [ { pool = p } ] }
                  pools.p.backends = [ { id = b1, address = "127.0.0.1:{{demo}}" } ]
                }
                """);
            await using var node = NodeProcess.StartIn(cwd.FullName, "--config", path);
            await node.WaitForOutputAsync("http listener web", TimeSpan.FromSeconds(60));
            await node.WaitForOutputAsync("admin endpoint on", TimeSpan.FromSeconds(30));

            var watches = InotifyWatches(node.Id);
            // One: the directory of the config file, for drover.reload.watch.
            Assert.True(watches.Count == 1, $"expected one inotify watch (the config directory), found {watches.Count}: {string.Join("; ", watches)}");
            Assert.Equal(Inode(Path.GetDirectoryName(path)!), watches[0]);
        }
        finally
        {
            cwd.Delete(recursive: true);
        }
    }

    /// <summary>The inode of every directory the process watches with inotify (hex, as /proc/PID/fdinfo shows it).</summary>
    private static List<string> InotifyWatches(int pid)
    {
        var watches = new List<string>();
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fdinfo"))
        {
            string[] lines;
            try { lines = File.ReadAllLines(fd); }
            catch (IOException) { continue; } // closed meanwhile
            foreach (var line in lines)
                if (line.StartsWith("inotify wd:", StringComparison.Ordinal))
                    watches.Add(line.Split(' ').First(part => part.StartsWith("ino:", StringComparison.Ordinal))["ino:".Length..]);
        }
        return watches;
    }

    private static string Inode(string path)
    {
        using var stat = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("stat", ["-c", "%i", path]) { RedirectStandardOutput = true })!;
        var decimalInode = stat.StandardOutput.ReadToEnd().Trim();
        stat.WaitForExit();
        return ulong.Parse(decimalInode, System.Globalization.CultureInfo.InvariantCulture).ToString("x", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Fact]
    public async Task SIGTERM_turns_readyz_503_first_and_closes_the_listener_a_ready_delay_later_with_no_request_failed()
    {
        await using var backend = await DemoBackend.StartAsync("b1", new HostPort("127.0.0.1", 0));
        var web = FreePort.Next();
        var admin = FreePort.Next();
        var path = WriteConfig($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:{{web}}", routes = [ { pool = p } ] }
              pools.p.backends = [ { id = b1, address = "{{backend.EndPoint}}" } ]
              shutdown { ready-delay = 2s, drain-timeout = 5s }
            }
            """);
        await using var node = NodeProcess.Start(new Dictionary<string, string> { ["DROVER__ADMIN__BIND"] = $"127.0.0.1:{admin}" }, "--config", path);
        await node.WaitForOutputAsync("http listener web", TimeSpan.FromSeconds(60));
        await using var load = new ReadinessFollowingLoad(new IPEndPoint(IPAddress.Loopback, web), new IPEndPoint(IPAddress.Loopback, admin));
        load.Start();
        await Eventually.TrueAsync(() => load.Sent >= 20, TimeSpan.FromSeconds(30), "traffic flows once /readyz says ready");

        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(60)));
        await load.StopAsync();

        Assert.True(load.Failures.IsEmpty, $"requests failed: {string.Join("; ", load.Failures.Take(5))}; {load}");
        Assert.NotNull(load.FirstNotReady);
        Assert.NotNull(load.FirstRefused);
        Assert.True(load.FirstRefused - load.FirstNotReady >= TimeSpan.FromSeconds(1),
            $"the listener must keep accepting for about the 2 s ready delay after /readyz turned 503: {load}");
    }

    [Fact]
    public async Task The_node_runs_as_a_standalone_demo_backend()
    {
        var port = FreePort.Next();
        await using var node = NodeProcess.Start("demo-backend", "--bind", $"127.0.0.1:{port}", "--id", "b7");
        await node.WaitForOutputAsync("demo backend b7 listening", TimeSpan.FromSeconds(60));
        using var client = new HttpClient();
        using var response = await client.GetAsync($"http://127.0.0.1:{port}/healthz");
        Assert.Equal("b7", response.Headers.GetValues("X-Backend-Id").Single());
        Assert.Equal("ok\n", await response.Content.ReadAsStringAsync());

        // ops/cluster.sh down stops backends with SIGTERM: the process must end, cleanly.
        node.Terminate();
        Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }
}
