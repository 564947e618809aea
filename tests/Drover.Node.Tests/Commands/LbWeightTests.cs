using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary><c>lb weight</c> on a real node with real backends: the split follows the weight, 0 takes nothing new, bad arguments are one line.</summary>
public sealed class LbWeightTests(CommandNodeFixture fixture) : IClassFixture<CommandNodeFixture>
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_weight_set_at_run_time_changes_the_split_and_config_brings_the_configured_one_back(bool fastPath)
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", fast-path = {{(fastPath ? "on" : "off")}}, routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ] }
            }
            """);
        var cmd = node.Commands.EndPoint!;
        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };

        var set = await CliRunner.LinesAsync(cmd, "lb weight -p p -b b1 -w 3");
        Assert.Equal("p/b1: weight 3/1 (set 3) | applied on every node", set[0]);
        Assert.Contains("| weight 3/1 (set 3) |", (await CliRunner.LinesAsync(cmd, "lb backends -p p"))[0]);
        Assert.Contains("| weight 1/1 |", (await CliRunner.LinesAsync(cmd, "lb backends -p p"))[1]);

        var counts = await SplitAsync(client, 400);
        var share = counts.GetValueOrDefault("b1") / 400.0;
        Assert.True(share is > 0.65 and < 0.85, $"b1 should get about 3/4 of the requests at weight 3 against 1, got {share:P1} ({string.Join(", ", counts)})");

        var zero = await CliRunner.LinesAsync(cmd, "lb weight -p p -b b1 -w 0");
        Assert.Equal("p/b1: weight 0/1 (set 0) | takes no new traffic (sticky sessions stay) | applied on every node", zero[0]);
        Assert.Equal(["b2"], (await SplitAsync(client, 20)).Keys);

        var back = await CliRunner.LinesAsync(cmd, "lb weight -p p -b b1 -w config");
        Assert.Equal("p/b1: weight 1/1 | applied on every node", back[0]);
        var even = await SplitAsync(client, 40);
        Assert.True(even.GetValueOrDefault("b1") >= 15 && even.GetValueOrDefault("b2") >= 15, $"back to an even split: {string.Join(", ", even)}");
    }

    [Fact]
    public async Task A_backend_raised_from_weight_0_ramps_under_slow_start_and_the_configured_weight_stays_the_files()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 60s, backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\", weight = 2 }}"))}} ] }
            }
            """);
        var cmd = node.Commands.EndPoint!;
        Assert.Equal("p/b1: weight 0/2 (set 0) | takes no new traffic (sticky sessions stay) | applied on every node",
            (await CliRunner.LinesAsync(cmd, "lb weight -p p -b b1 -w 0"))[0]);

        // Back in service at 5: slow start ramps it from 10% (weights scaled x10 while any backend ramps).
        var raised = (await CliRunner.LinesAsync(cmd, "lb weight -p p -b b1 -w 5"))[0];
        var now = int.Parse(System.Text.RegularExpressions.Regex.Match(raised, @"^p/b1: weight (\d+)/2 \(set 5\) \| applied on every node$").Groups[1].Value);
        Assert.InRange(now, 5, 49);
        var rows = await CliRunner.LinesAsync(cmd, "lb backends -p p");
        Assert.Contains("| weight 20/2 |", rows[1]); // b2, not ramping, scaled x10 beside a ramping one
        Assert.Equal(2, node.Runtime.Pools["p"].Snapshot.Backends[0].ConfiguredWeight);
        Assert.Equal(5, node.Runtime.Pools["p"].Snapshot.BaseWeights[0]);
    }

    [Theory]
    [InlineData("lb weight -p p -b a -w abc", 1, "drover: lb weight: -w/--weight: 'abc' is not a weight (a whole number from 0 to 1000, or 'config' for the configured weight)\n")]
    [InlineData("lb weight -p p -b a -w 1001", 1, "drover: lb weight: -w/--weight: '1001' is not a weight (a whole number from 0 to 1000, or 'config' for the configured weight)\n")]
    [InlineData("lb weight -p p -b a -w -1", 1, "drover: lb weight: -w/--weight: '-1' is not a weight (a whole number from 0 to 1000, or 'config' for the configured weight)\n")]
    [InlineData("lb weight -p p -b zz -w 2", 1, "drover: lb weight: pool 'p' has no backend 'zz' (backends: a)\n")]
    [InlineData("lb weight -p nope -b a -w 2", 1, "drover: lb: unknown pool 'nope' (pools: p)\n")]
    public async Task Bad_arguments_are_one_clear_line_and_change_nothing(string commandLine, int exitCode, string error)
    {
        var result = await CliRunner.RunAsync(fixture.Cmd, commandLine);
        Assert.Equal(exitCode, result.ExitCode);
        Assert.Equal(error, result.Error);
        Assert.Contains("| weight 1/1 |", (await CliRunner.LinesAsync(fixture.Cmd, "lb backends -p p"))[0]);
    }

    [Fact]
    public async Task A_missing_weight_is_a_command_line_error()
    {
        var result = await CliRunner.RunAsync(fixture.Cmd, "lb weight -p p -b a");
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("missing -w/--weight WEIGHT", result.Error);
    }

    private static async Task<Dictionary<string, int>> SplitAsync(HttpClient client, int requests)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            using var response = await client.GetAsync("/");
            response.EnsureSuccessStatusCode();
            var id = response.Headers.GetValues("X-Backend-Id").Single();
            counts[id] = counts.GetValueOrDefault(id) + 1;
        }
        return counts;
    }
}
