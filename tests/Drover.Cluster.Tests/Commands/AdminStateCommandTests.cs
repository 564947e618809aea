using System.Diagnostics;
using Drover.Cluster.Tests.Support;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;

namespace Drover.Cluster.Tests.Commands;

/// <summary>An admin state set through one node's command host applies on every node.</summary>
public sealed class AdminStateCommandTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Drain_through_one_node_takes_the_backend_out_on_all_three_and_ready_brings_it_back()
    {
        await using var backends = await DemoBackends.StartAsync(2);
        await using var nodes = await ThreeNodes.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p { slow-start = 0s, backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ] }
            }
            """);
        bool InRotation(int node) => nodes[node].Runtime.Pools["p"].Snapshot.Candidates.Any(b => b.Id == "b1");

        var clock = Stopwatch.StartNew();
        var lines = await CliRunner.LinesAsync(nodes[0].Commands.EndPoint!, "lb drain -p p -b b1");
        Assert.EndsWith("| applied on every node", lines[0]);
        await Eventually.TrueAsync(() => !InRotation(0) && !InRotation(1) && !InRotation(2), TimeSpan.FromSeconds(2), "b1 drained on every node");
        output.WriteLine($"drained on all three nodes {clock.ElapsedMilliseconds} ms after the command started");
        Assert.Contains("| drain", (await CliRunner.LinesAsync(nodes[2].Commands.EndPoint!, "lb backends -p p"))[0]);

        await CliRunner.LinesAsync(nodes[1].Commands.EndPoint!, "lb ready -p p -b b1");
        await Eventually.TrueAsync(() => InRotation(0) && InRotation(1) && InRotation(2), TimeSpan.FromSeconds(2), "b1 ready on every node");
    }
}
