using System.Net;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Admin;

/// <summary>HTTP body bytes counted on both HTTP paths, per listener and backend, in <c>/metrics</c> and <c>lb stats</c>.</summary>
public sealed class HttpBytesMetricsTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Request_and_response_bodies_are_counted_exactly_on_the_listener_and_the_backend(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(1);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ { id = b1, address = "{{backends.All[0].EndPoint}}" } ] }
            }
            """);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        var body = new byte[3000];
        Random.Shared.NextBytes(body);
        using (var echo = await client.PostAsync("/echo", new ByteArrayContent(body)))
        {
            Assert.Equal(HttpStatusCode.OK, echo.StatusCode);
            Assert.Equal(body, await echo.Content.ReadAsByteArrayAsync());
        }
        using (var bytes = await client.GetAsync("/bytes/5000")) Assert.Equal(5000, (await bytes.Content.ReadAsByteArrayAsync()).Length);
        using (var head = new HttpRequestMessage(HttpMethod.Head, "/bytes/7000"))
        using (var response = await client.SendAsync(head)) Assert.Equal(HttpStatusCode.OK, response.StatusCode); // a HEAD has no body: nothing counted

        var m = await PrometheusText.ScrapeAsync(node.Admin.EndPoint!);
        Assert.Equal(3000, m.Value("drover_listener_bytes_in_total", ("listener", "web")));
        Assert.Equal(8000, m.Value("drover_listener_bytes_out_total", ("listener", "web")));
        Assert.Equal(3000, m.Value("drover_backend_bytes_in_total", ("pool", "p"), ("backend", "b1")));
        Assert.Equal(8000, m.Value("drover_backend_bytes_out_total", ("pool", "p"), ("backend", "b1")));

        // lb stats shows the same counters (read from the stats actor, not computed again).
        var stats = await CliRunner.LinesAsync(node.Commands.EndPoint!, "lb stats");
        var header = Cells(stats[0]);
        Assert.Equal(["listener", "mode", "req/s", "requests", "1xx", "2xx", "3xx", "4xx", "5xx", "other", "connections", "open", "bytes-in", "bytes-out"], header);
        var web = Row(stats, header, "web");
        Assert.Equal("http", web["mode"]);
        Assert.Equal("3", web["requests"]);
        Assert.Equal("3", web["2xx"]);
        Assert.Equal("3000", web["bytes-in"]);
        Assert.Equal("8000", web["bytes-out"]);
        var poolLine = Array.FindIndex(stats, l => l.StartsWith("pool p | round-robin"));
        Assert.True(poolLine > 0, string.Join("\n", stats));
        Assert.Contains("| not sticky", stats[poolLine]);
        var backendHeader = Cells(stats[poolLine + 1]);
        var b1 = Row(stats, backendHeader, "b1");
        Assert.Equal("up", b1["health"]);
        Assert.Equal("ready", b1["admin"]);
        Assert.Equal("1/1", b1["weight"]);
        Assert.Equal("3", b1["requests"]);
        Assert.Equal("3", b1["2xx"]);
        Assert.Equal("0", b1["5xx"]);
        Assert.Equal("3000", b1["bytes-in"]);
        Assert.Equal("8000", b1["bytes-out"]);
        Assert.StartsWith("Count: 1 listeners, 1 pools", stats[^1]);

        var onePool = await CliRunner.LinesAsync(node.Commands.EndPoint!, "lb stats -p p");
        Assert.StartsWith("pool p | round-robin", onePool[0]);
        var unknown = await CliRunner.RunAsync(node.Commands.EndPoint!, "lb stats -p nope");
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("drover: lb: unknown pool 'nope' (pools: p)\n", unknown.Error);
    }

    private static string[] Cells(string line) => line.Split(' ', StringSplitOptions.RemoveEmptyEntries);

    private static Dictionary<string, string> Row(string[] lines, string[] header, string first)
    {
        var row = lines.Select(Cells).First(c => c.Length > 0 && c[0] == first);
        Assert.Equal(header.Length, row.Length);
        return header.Zip(row).ToDictionary(p => p.First, p => p.Second);
    }
}
