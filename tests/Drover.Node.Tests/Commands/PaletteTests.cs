using Akka.Event;
using Drover.Node.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Tests.Commands;

/// <summary>The cluster, actor and log palettes on one real node, through the CLI as a user types them.</summary>
public sealed class PaletteTests(CommandNodeFixture fixture) : IClassFixture<CommandNodeFixture>
{
    private const string MemberLine = @"^akka\.tcp://drover@127\.0\.0\.1:\d+ \| \[lb\] \| up \|  \| \S+$";

    private string Self => Akka.Cluster.Cluster.Get(fixture.Node.System).SelfAddress.ToString();

    [Fact]
    public async Task Cluster_show_prints_pbm_member_lines_and_a_count()
    {
        var lines = await CliRunner.LinesAsync(fixture.Cmd, "cluster show");
        Assert.Equal(2, lines.Length);
        Assert.Matches(MemberLine, lines[0]);
        Assert.StartsWith(Self + " | ", lines[0]);
        Assert.Equal("Count: 1 nodes", lines[1]);
    }

    [Fact]
    public async Task Cluster_status_and_leader_print_this_node()
    {
        Assert.Matches(MemberLine, Assert.Single(await CliRunner.LinesAsync(fixture.Cmd, "cluster status")));
        Assert.Equal(Self, Assert.Single(await CliRunner.LinesAsync(fixture.Cmd, "cluster leader")));
    }

    [Fact]
    public async Task Membership_changes_that_cannot_apply_say_why()
    {
        var down = await CliRunner.RunAsync(fixture.Cmd, "cluster down -a 127.0.0.1:1");
        Assert.Equal(1, down.ExitCode);
        Assert.Equal($"drover: akka.tcp://drover@127.0.0.1:1 is not a member of this cluster (members: {Self})\n", down.Error);

        var garbage = await CliRunner.RunAsync(fixture.Cmd, "cluster leave -a not-an-address");
        Assert.Equal(1, garbage.ExitCode);
        Assert.Contains("'not-an-address' is not a member address (expected akka.tcp://drover@HOST:PORT or HOST:PORT)", garbage.Error);

        var join = await CliRunner.RunAsync(fixture.Cmd, "cluster join -a 127.0.0.1:1");
        Assert.Equal(1, join.ExitCode);
        Assert.Contains("this node is already a member (up) of another cluster; it must leave before it can join", join.Error);

        Assert.Equal(["no unreachable members"], await CliRunner.LinesAsync(fixture.Cmd, "cluster down-unreachable"));
        Assert.Equal(Akka.Cluster.MemberStatus.Up, Akka.Cluster.Cluster.Get(fixture.Node.System).SelfMember.Status);
    }

    [Fact]
    public async Task Cluster_tail_streams_the_current_state_until_ctrl_c()
    {
        var console = new TestConsole();
        var run = Drover.Cli.DroverCli.RunAsync([fixture.Cmd.ToString(), "cluster", "tail"], null, console);
        await Eventually.TrueAsync(() => console.Output.Contains($"MemberUp {Self} [lb] up"), TimeSpan.FromSeconds(10), "the tail shows this member up");
        // LeaderChanged is a separate event of the current state and may be written a moment later.
        await Eventually.TrueAsync(() => console.Output.Contains($"LeaderChanged {Self}"), TimeSpan.FromSeconds(10), "the tail shows this node as leader");
        Assert.False(run.IsCompleted);

        Assert.True(console.Interrupt());
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Actor_hierarchy_lists_paths_to_a_depth_below_a_start()
    {
        var top = await CliRunner.LinesAsync(fixture.Cmd, "actor hierarchy -s /user -d 1");
        Assert.Contains("akka://drover/user/lb", top);
        Assert.Contains("akka://drover/user/cmd", top);
        Assert.DoesNotContain(top, l => l.StartsWith("akka://drover/user/lb/"));
        Assert.Equal($"Count: {top.Length - 1} actors", top[^1]);

        var all = await CliRunner.LinesAsync(fixture.Cmd, "actor hierarchy");
        Assert.Contains("akka://drover/user/lb/pool-p", all);
        Assert.Contains("akka://drover/user/lb/listener-raw", all);
        Assert.Contains("akka://drover/system", all);
        Assert.Contains(all, l => l.StartsWith("akka://drover/user/cmd/session-"));

        var lb = await CliRunner.LinesAsync(fixture.Cmd, "actor hierarchy --start user/lb");
        Assert.Equal(["akka://drover/user/lb/listener-raw", "akka://drover/user/lb/pool-p", "Count: 2 actors"], lb);
    }

    [Fact]
    public async Task Actor_hierarchy_refuses_a_missing_actor_and_a_bad_depth()
    {
        var missing = await CliRunner.RunAsync(fixture.Cmd, "actor hierarchy -s /user/nope");
        Assert.Equal(1, missing.ExitCode);
        Assert.Equal("drover: actor hierarchy: no actor at /user/nope\n", missing.Error);

        var zero = await CliRunner.RunAsync(fixture.Cmd, "actor hierarchy -d 0");
        Assert.Equal(1, zero.ExitCode);
        Assert.Contains("-d/--depth must be at least 1", zero.Error);

        var text = await CliRunner.RunAsync(fixture.Cmd, "actor hierarchy -d deep");
        Assert.Equal(2, text.ExitCode); // refused by the CLI before it reaches the node
        Assert.Contains("'deep' is not a whole number", text.Error);
    }

    [Fact]
    public async Task Log_peek_shows_recent_lines_from_akka_and_from_microsoft_logging()
    {
        var akkaMarker = $"akka-{Guid.NewGuid():N}";
        var melMarker = $"mel-{Guid.NewGuid():N}";
        fixture.Node.System.Log.Warning("marker {0}", akkaMarker);
        fixture.Node.Host.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Drover.Test").LogWarning("marker {Marker}", melMarker);

        string[] lines = [];
        await Eventually.TrueAsync(async () =>
        {
            lines = await CliRunner.LinesAsync(fixture.Cmd, "log peek -c 1000");
            return lines.Any(l => l.Contains(akkaMarker)) && lines.Any(l => l.Contains(melMarker));
        }, TimeSpan.FromSeconds(10), "both markers in the log buffer");
        Assert.Matches(@"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3} \[warn\] .+: marker akka-", lines.Single(l => l.Contains(akkaMarker)));
        Assert.EndsWith($"[warn] Drover.Test: marker {melMarker}", lines.Single(l => l.Contains(melMarker)));

        Assert.Single(await CliRunner.LinesAsync(fixture.Cmd, "log peek --count 1"));
        var zero = await CliRunner.RunAsync(fixture.Cmd, "log peek -c 0");
        Assert.Equal(1, zero.ExitCode);
    }

    [Fact]
    public async Task Log_tail_streams_new_lines_until_ctrl_c()
    {
        var console = new TestConsole();
        var run = Drover.Cli.DroverCli.RunAsync([fixture.Cmd.ToString(), "log", "tail"], null, console);
        var marker = $"tail-{Guid.NewGuid():N}";
        // The tail starts at some point after the call: log until a line arrives.
        await Eventually.TrueAsync(() =>
        {
            fixture.Node.System.Log.Warning("marker {0}", marker);
            return console.Output.Contains(marker);
        }, TimeSpan.FromSeconds(10), "the tail shows a new line");

        Assert.True(console.Interrupt());
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("", console.ErrorOutput);
    }

    [Fact]
    public async Task Sharding_commands_name_the_entity_types_there_are()
    {
        var regions = await CliRunner.LinesAsync(fixture.Cmd, "cluster-sharding regions");
        // Drover's own entity types, in name order, then the count.
        Assert.Matches(@"^backend-health \| shards here: \d+ \| entities here: \d+$", regions[0]);
        Assert.Matches(@"^session \| shards here: \d+ \| entities here: \d+$", regions[1]);
        Assert.Equal("Count: 2 types", regions[2]);
        var stats = await CliRunner.RunAsync(fixture.Cmd, "cluster-sharding region-stats -r nosuch");
        Assert.Equal(1, stats.ExitCode);
        Assert.Equal("drover: unknown entity type 'nosuch' (types on this node: backend-health, session)\n", stats.Error);
        var query = await CliRunner.RunAsync(fixture.Cmd, "cluster-sharding query -r backend-health");
        Assert.Equal(2, query.ExitCode);
        Assert.Contains("missing -e/--entity ENTITY", query.Error);
    }
}
