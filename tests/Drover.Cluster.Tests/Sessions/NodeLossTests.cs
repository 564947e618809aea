using System.Diagnostics;
using Drover.Cluster.Tests.Support;
using Drover.Node.Tests.Support;
using Xunit.Abstractions;
using static Drover.Cluster.Tests.Support.SessionTraffic;

namespace Drover.Cluster.Tests.Sessions;

/// <summary>
/// Losing a node, by crash or by leaving: every session keeps its backend, and requests through the
/// surviving nodes see no errors while the lost node's shards move. Each run prints how long the
/// lost node's sessions went without an owner, and what the requests saw meanwhile.
/// </summary>
[Collection(ClusterCollection.Name)]
public sealed class NodeLossTests(ITestOutputHelper output)
{
    /// <summary>Crashes node 3 of 3 under load; asserts nothing failed or moved; returns the time until its sessions' new owners answered.</summary>
    private async Task<TimeSpan> CrashOneOfThreeAsync(string? timings, string described, TimeSpan patience)
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var cluster = await TestCluster.StartAsync(3, StickyClusterFixture.Config(backends), timings: timings);
        const int victim = 2;
        var sessions = await CreateAsync(cluster, victim);
        var owned = await OwnedByAsync(cluster[victim]);
        Assert.NotEmpty(owned);

        var load = new Load(cluster.Nodes.Where((_, n) => n != victim).ToList(), sessions);
        load.Start();
        await Task.Delay(300);
        var crash = Stopwatch.StartNew();
        await cluster.CrashAsync(victim);
        var answers = await WaitForOwnersAsync(cluster[0], owned, patience);
        var recovered = crash.Elapsed;
        await Task.Delay(1000); // and a little more traffic with the new owners
        await load.StopAsync();

        output.WriteLine($"crash of node 3 of 3 ({described}): its {owned.Count} sessions served by their new owners " +
                         $"{recovered.TotalSeconds:0.0} s after the crash; {load.Sent} requests through the 2 survivors, " +
                         $"{load.Failures.Count} failed, {load.Moved.Count} changed backend");
        Assert.Empty(load.Failures);
        Assert.Empty(load.Moved);
        foreach (var id in owned)
            Assert.Equal(sessions.Single(s => s.EntityId == id).Backend, answers[id]);
        return recovered;
    }

    [Fact]
    public async Task A_crashed_nodes_sessions_keep_their_backends_and_survivors_serve_every_request() =>
        await CrashOneOfThreeAsync(null, "test timings: heartbeat 300 ms, acceptable pause 1 s, SBR keep-majority stable-after 1.5 s, " +
                                         "down-removal-margin 0.5 s, region retry 200 ms", TimeSpan.FromSeconds(40));

    /// <summary>
    /// The same with the failure timings a deployment gets from akka.hocon (read from the file):
    /// the figure the README's "Failure timings" table quotes.
    /// </summary>
    [Fact]
    public async Task With_the_shipped_timings_a_crashed_nodes_sessions_have_new_owners_within_20_seconds()
    {
        var timings = TestCluster.ShippedTimings();
        var recovered = await CrashOneOfThreeAsync(timings, "akka.hocon: " + timings.Replace("\n", ", ").Replace("akka.cluster.", ""), TimeSpan.FromSeconds(60));
        Assert.True(recovered < TimeSpan.FromSeconds(20), $"new owners only {recovered.TotalSeconds:0.0} s after the crash");
    }

    [Fact]
    public async Task A_leaving_node_hands_its_sessions_off_with_no_change_of_backend()
    {
        await using var backends = await DemoBackends.StartAsync(3);
        await using var cluster = await TestCluster.StartAsync(3, StickyClusterFixture.Config(backends));
        const int leaver = 1;
        var sessions = await CreateAsync(cluster, leaver);
        var owned = await OwnedByAsync(cluster[leaver]);
        Assert.NotEmpty(owned);

        var load = new Load(cluster.Nodes.Where((_, n) => n != leaver).ToList(), sessions);
        load.Start();
        var leave = Stopwatch.StartNew();
        await cluster.StopAsync(leaver);
        var left = leave.Elapsed;
        var answers = await WaitForOwnersAsync(cluster[0], owned, TimeSpan.FromSeconds(20));
        var served = leave.Elapsed;
        await Task.Delay(500);
        await load.StopAsync();

        output.WriteLine($"graceful leave of node 2 of 3: stopped in {left.TotalSeconds:0.0} s, its {owned.Count} sessions answered by their new owners " +
                         $"{served.TotalSeconds:0.0} s after it began; {load.Sent} requests through the others, {load.Failures.Count} failed, {load.Moved.Count} changed backend");
        Assert.Empty(load.Failures);
        Assert.Empty(load.Moved);
        foreach (var id in owned)
            Assert.Equal(sessions.Single(s => s.EntityId == id).Backend, answers[id]);
        // Through a node whose cache never saw the leaver's keys: the new owner answers, same backend.
        using var client = StickyClients.Plain(cluster[0].Runtime.ListenerEndPoint("web"));
        foreach (var session in sessions)
            Assert.Equal(session.Backend, await StickyClients.BackendOfAsync(client, "/", ("X-User", session.Key)));
    }
}
