using System.Net;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>The lb palette on a real node with real backends: what it shows, and drain/maint/ready with traffic.</summary>
public sealed class LbPaletteTests
{
    [Fact]
    public async Task Shows_listeners_pools_and_backends_and_drains_a_backend_that_then_gets_no_traffic()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ] }
            }
            """);
        var cmd = node.Commands.EndPoint!;

        var listeners = await CliRunner.LinesAsync(cmd, "lb listeners");
        Assert.Equal($"web | http | {node.Runtime.ListenerEndPoint("web")} | routes to p", listeners[0]);
        Assert.Equal("Count: 1 listeners", listeners[1]);
        Assert.Matches(@"^p \| round-robin \| 2/2 taking traffic \| v\d+$", (await CliRunner.LinesAsync(cmd, "lb pools"))[0]);
        var rows = await CliRunner.LinesAsync(cmd, "lb backends -p p");
        Assert.StartsWith($"b1 | {backends.All[0].EndPoint} | up | ready | weight 1/1 | active 0", rows[0]);
        Assert.Equal("Count: 2 backends", rows[2]);

        var drained = await CliRunner.LinesAsync(cmd, "lb drain -p p -b b1");
        Assert.StartsWith("p/b1: drain (drained) | active 0", drained[0]);
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("/");
            Assert.Equal("b2", response.Headers.GetValues("X-Backend-Id").Single());
        }
        Assert.StartsWith("b1 | ", (await CliRunner.LinesAsync(cmd, "lb backends -p p"))[0]);
        Assert.Contains("| drain (drained) |", (await CliRunner.LinesAsync(cmd, "lb backends -p p"))[0]);

        Assert.StartsWith("p/b1: ready", (await CliRunner.LinesAsync(cmd, "lb ready -p p -b b1"))[0]);
        var seen = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            using var response = await client.GetAsync("/");
            seen.Add(response.Headers.GetValues("X-Backend-Id").Single());
        }
        Assert.Equal(["b1", "b2"], seen.Order());
    }

    [Fact]
    public async Task Unknown_pools_and_backends_and_missing_arguments_are_one_clear_line()
    {
        await using var node = await TestNode.StartAsync("""
            drover {
              listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
              pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
            }
            """);
        var cmd = node.Commands.EndPoint!;

        var pool = await CliRunner.RunAsync(cmd, "lb backends -p nope");
        Assert.Equal(1, pool.ExitCode);
        Assert.Equal("drover: lb: unknown pool 'nope' (pools: p)\n", pool.Error);
        var backend = await CliRunner.RunAsync(cmd, "lb maint -p p -b zz");
        Assert.Equal(1, backend.ExitCode);
        Assert.Equal("drover: lb maint: pool 'p' has no backend 'zz' (backends: a)\n", backend.Error);
        var missing = await CliRunner.RunAsync(cmd, "lb drain -p p");
        Assert.Equal(2, missing.ExitCode);
        Assert.Contains("missing -b/--backend BACKEND", missing.Error);
    }
}
