using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Drover.Node.AccessLog;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.AccessLog;

/// <summary>One access-log line per HTTP request and TCP connection, with retries and the way it ended.</summary>
public sealed class AccessLogTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"drover-access-{Guid.NewGuid():N}.log");

    public void Dispose() => File.Delete(_path);

    private async Task<string[]> LinesAsync(int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            var lines = File.Exists(_path)
                ? (await File.ReadAllLinesAsync(_path)).Where(l => l.Length > 0).ToArray()
                : [];
            if (lines.Length >= atLeast || DateTime.UtcNow > deadline) return lines;
            await Task.Delay(50);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Http_requests_are_logged_with_backend_status_timings_and_retries(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        var dead = FreePort.Next();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              access-log { path = "{{_path}}" }
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p, path-prefix = /app }, { pool = p, host = "never.example" } ] }
              pools.p { health.passive = off, balance = round-robin, backends = [ { id = dead, address = "127.0.0.1:{{dead}}" }, { id = b1, address = "{{backends.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        for (var i = 0; i < 2; i++) (await client.GetAsync($"/app/x?i={i}")).Dispose();
        (await client.GetAsync("/elsewhere")).Dispose();

        var lines = await LinesAsync(3);
        Assert.Equal(3, lines.Length);
        var served = lines.Where(l => l.Contains("\"GET /app/x")).ToList();
        Assert.Equal(2, served.Count);
        Assert.All(served, l => Assert.True(System.Text.RegularExpressions.Regex.IsMatch(l,
            @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z http 127\.0\.0\.1:\d+ web p/b1 ""GET /app/x\?i=\d"" 200 in=[\d-]+ out=[\d-]+ queue=[\d.]+ connect=[\d.-]+ ttfb=[\d.-]+ total=[\d.]+ retries=[01] end=ok$"), l));
        // Round robin over [dead, b1] with two picks per request: each request tries dead first, then b1.
        Assert.All(served, l => Assert.EndsWith(" retries=1 end=ok", l));
        Assert.Matches(@" web -/- ""GET /elsewhere"" 404 .* end=no-route$", lines.Single(l => l.Contains("/elsewhere")));
    }

    [Fact]
    public async Task Json_lines_carry_the_same_fields()
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              access-log { format = json, path = "{{_path}}" }
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p.backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ]
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        (await client.GetAsync("/1k?a=\"b\"")).Dispose();

        using var json = JsonDocument.Parse((await LinesAsync(1)).Single());
        var root = json.RootElement;
        Assert.Equal("http", root.GetProperty("kind").GetString());
        Assert.Equal(("web", "p", "b1", "GET", 200), (root.GetProperty("listener").GetString(), root.GetProperty("pool").GetString(),
            root.GetProperty("backend").GetString(), root.GetProperty("method").GetString(), root.GetProperty("status").GetInt32()));
        Assert.StartsWith("/1k?a=", root.GetProperty("target").GetString());
        Assert.True(root.GetProperty("total_ms").GetDouble() >= 0);
        Assert.Equal("ok", root.GetProperty("end").GetString());
    }

    [Fact]
    public async Task Tcp_connections_are_logged_when_they_end_with_bytes_and_the_reason()
    {
        await using var echo = new TcpEchoServer();
        await using var node = await TestNode.StartAsync($$"""
            drover {
              access-log { path = "{{_path}}" }
              listeners.tcp { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p { timeouts.idle = 500ms, backends = [ { id = e1, address = "{{echo.EndPoint}}" } ] }
            }
            """);
        using (var client = new TcpClient())
        {
            await client.ConnectAsync(node.Runtime.ListenerEndPoint("tcp"));
            var stream = client.GetStream();
            await stream.WriteAsync(Encoding.ASCII.GetBytes("hello"));
            var buffer = new byte[5];
            await stream.ReadExactlyAsync(buffer);
        }
        using (var idle = new TcpClient())
        {
            await idle.ConnectAsync(node.Runtime.ListenerEndPoint("tcp"));
            var lines = await LinesAsync(2);
            Assert.Matches(@" tcp 127\.0\.0\.1:\d+ tcp p/e1 in=5 out=5 queue=[\d.]+ connect=[\d.]+ total=[\d.]+ retries=0 end=ok$", lines[0]);
            Assert.Matches(@" tcp p/e1 in=0 out=0 .* end=idle-timeout$", lines[1]);
        }
    }

    [Fact]
    public void Text_lines_escape_client_supplied_targets_and_show_missing_values_as_a_dash()
    {
        var text = new StringBuilder();
        AccessLogWriter.FormatText(text, new AccessLogEntry(new DateTime(2026, 11, 23, 12, 0, 0, 123, DateTimeKind.Utc), false, "10.0.0.1:5000", "web",
            "p", null, "GET", "/a b\"c", 503, 0, -1, 0.25, -1, -1, 1.5, 2, AccessLogEnd.NoBackend));
        Assert.Equal("2026-11-23T12:00:00.123Z http 10.0.0.1:5000 web p/- \"GET /a%20b%22c\" 503 in=0 out=- queue=0.25 connect=- ttfb=- total=1.5 retries=2 end=no-backend",
            text.ToString());
    }

    [Fact]
    public async Task A_path_that_cannot_be_opened_is_a_config_error()
    {
        var ex = await Assert.ThrowsAsync<Drover.Core.Configuration.ConfigException>(() => TestNode.StartAsync("""
            drover {
              access-log.path = "/nonexistent-dir/drover/access.log"
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
            }
            """));
        Assert.Contains("drover.access-log.path", ex.Message);
    }
}
