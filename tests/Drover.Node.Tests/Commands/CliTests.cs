using System.Net;
using Akka.Event;
using Drover.Cli;
using Drover.Core.Commands;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>The drover CLI in-process against a real node: one-shot exit codes, the prompt with redirected input, Ctrl+C.</summary>
public sealed class CliTests(CommandNodeFixture fixture) : IClassFixture<CommandNodeFixture>
{
    private string Prompt => $"[{fixture.Cmd}] drover> ";

    [Theory]
    [InlineData("clustr show", "drover: unknown palette 'clustr' (did you mean 'cluster'? palettes: actor, cluster, cluster-sharding, lb, log)")]
    [InlineData("cluster shw", "drover: unknown command 'cluster shw' (did you mean 'show'? cluster commands: show, status, leader, leave, down, join, down-unreachable, tail)")]
    [InlineData("cluster", "drover: 'cluster' needs a command (cluster commands: show, status, leader, leave, down, join, down-unreachable, tail)")]
    [InlineData("cluster down", "drover: cluster down: missing -a/--address ADDRESS (usage: cluster down -a ADDRESS)")]
    [InlineData("cluster down -x 1", "drover: cluster down: unknown option '-x' (options: -a/--address)")]
    [InlineData("cluster show extra", "drover: cluster show: unexpected 'extra' (show takes no arguments)")]
    [InlineData("help nope", "drover: unknown palette 'nope' (palettes: actor, cluster, cluster-sharding, lb, log)")]
    public async Task A_wrong_command_line_is_one_error_line_and_exit_2(string commandLine, string error)
    {
        var console = new TestConsole();
        var code = await DroverCli.RunAsync([fixture.Cmd.ToString(), .. Split(commandLine)], null, console);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal(error + "\n", console.ErrorOutput);
        Assert.Equal("", console.Output);
    }

    [Fact]
    public async Task A_command_that_the_node_fails_exits_1_and_one_that_works_exits_0()
    {
        var failed = await CliRunner.RunAsync(fixture.Cmd, "cluster-sharding shard-stats -r nope");
        Assert.Equal(ExitCodes.CommandFailed, failed.ExitCode);
        Assert.StartsWith("drover: unknown entity type 'nope'", failed.Error);

        var ok = await CliRunner.RunAsync(fixture.Cmd, "cluster show");
        Assert.Equal(ExitCodes.Ok, ok.ExitCode);
        Assert.Equal("", ok.Error);
    }

    [Fact]
    public async Task A_node_that_is_not_there_or_not_a_command_host_exits_3()
    {
        var nothing = new IPEndPoint(IPAddress.Loopback, FreePort.Next());
        var refused = await CliRunner.RunAsync(nothing, "cluster show");
        Assert.Equal(ExitCodes.Unreachable, refused.ExitCode);
        Assert.Equal($"drover: cannot reach {nothing}: connection refused (is the node running, and is drover.cmd.bind this address?)\n", refused.Error);

        await using var echo = new TcpEchoServer();
        var notHost = await CliRunner.RunAsync(echo.EndPoint, "cluster show");
        Assert.Equal(ExitCodes.Unreachable, notHost.ExitCode);
        Assert.Equal($"drover: {echo.EndPoint} is not a drover command host (it answered something else)\n", notHost.Error);
    }

    [Fact]
    public async Task Help_lists_every_command_and_help_palette_its_arguments()
    {
        var help = await CliRunner.LinesAsync(fixture.Cmd, "help");
        Assert.Contains(help, l => l.StartsWith("  cluster down -a ADDRESS ") && l.Contains("marks a member down"));
        Assert.Contains(help, l => l.StartsWith("  cluster-sharding query -r TYPE -e ENTITY "));
        Assert.Contains(help, l => l.StartsWith("  actor hierarchy [-d DEPTH] [-s START] "));
        Assert.Contains(help, l => l.StartsWith("  log peek [-c COUNT] "));

        var cluster = await CliRunner.LinesAsync(fixture.Cmd, "help cluster");
        Assert.Equal("cluster: Akka.NET cluster membership", cluster[0]);
        Assert.Contains(cluster, l => l.TrimStart().StartsWith("-a/--address ADDRESS ") && l.Contains("the member to down"));
    }

    [Fact]
    public async Task The_prompt_reads_redirected_lines_reports_errors_and_goes_on_until_exit()
    {
        var console = new TestConsole("help\n\ncluster shw\ncluster down -a \"unclosed\ncluster status\nexit\ncluster show\n");
        var code = await DroverCli.RunAsync([fixture.Cmd.ToString()], null, console);

        Assert.Equal(0, code);
        var output = console.Output;
        Assert.StartsWith($"Connected to {Akka.Cluster.Cluster.Get(fixture.Node.System).SelfAddress} (drover ", output);
        Assert.Contains($"{Prompt}help\nCommands (help PALETTE for the arguments):\n", output);
        Assert.Contains($"{Prompt}cluster status\nakka.tcp://drover@127.0.0.1:", output);
        Assert.Contains($"{Prompt}exit\n", output);
        Assert.DoesNotContain("Count: 1 nodes", output); // nothing after exit runs
        Assert.Equal(
            "drover: unknown command 'cluster shw' (did you mean 'show'? cluster commands: show, status, leader, leave, down, join, down-unreachable, tail)\n" +
            "drover: unclosed \" quote\n",
            console.ErrorOutput);
    }

    [Fact]
    public async Task The_prompt_ends_at_end_of_input_too()
    {
        var console = new TestConsole("cluster leader\n");
        Assert.Equal(0, await DroverCli.RunAsync([fixture.Cmd.ToString()], null, console));
        Assert.EndsWith($"{Prompt}cluster leader\n{Akka.Cluster.Cluster.Get(fixture.Node.System).SelfAddress}\n{Prompt}", console.Output);
    }

    [Fact]
    public async Task Ctrl_c_ends_a_streaming_command_but_not_the_prompt()
    {
        var console = new TestConsole("log tail\ncluster status\nexit\n");
        var run = DroverCli.RunAsync([fixture.Cmd.ToString()], null, console);
        var marker = $"prompt-{Guid.NewGuid():N}";
        await Eventually.TrueAsync(() =>
        {
            fixture.Node.System.Log.Warning("marker {0}", marker);
            return console.Output.Contains(marker);
        }, TimeSpan.FromSeconds(10), "log tail runs at the prompt");

        Assert.True(console.Interrupt());
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Contains($"{Prompt}cluster status\nakka.tcp://drover@", console.Output);
        Assert.EndsWith($"{Prompt}exit\n", console.Output);
        Assert.False(console.Interrupt()); // no command runs any more: Ctrl+C is the process's again
    }

    [Theory]
    [InlineData(new string[0], "127.0.0.1:9110", 0)]
    [InlineData(new[] { "cluster", "show" }, "127.0.0.1:9110", 2)]
    [InlineData(new[] { "10.0.0.5:9200", "cluster", "show" }, "10.0.0.5:9200", 2)]
    [InlineData(new[] { "10.0.0.5" }, "10.0.0.5:9110", 0)]
    [InlineData(new[] { "localhost", "log", "tail" }, "localhost:9110", 2)]
    [InlineData(new[] { "[::1]:9110" }, "[::1]:9110", 0)]
    [InlineData(new[] { "::1", "cluster", "leader" }, "[::1]:9110", 2)]
    [InlineData(new[] { "node-1:9110" }, "node-1:9110", 0)]
    public void The_address_is_optional_and_defaults_to_loopback_9110(string[] target, string address, int words)
    {
        var (parsed, rest) = DroverCli.SplitTarget(target);
        Assert.Equal(address, parsed.ToString());
        Assert.Equal(words, rest.Count);
    }

    [Fact]
    public void A_bad_address_is_a_usage_error() =>
        Assert.Equal(ExitCodes.Usage, Assert.Throws<CliException>(() => DroverCli.SplitTarget(["10.0.0.5:99999", "cluster", "show"])).ExitCode);

    [Fact]
    public void Tab_completes_palettes_then_commands_then_switches()
    {
        var catalog = new PaletteCatalog([
            new PaletteSpec("cluster", "c", [new CommandSpec("down", "d", new ArgumentSpec("address", "a", "x", Required: true)), new CommandSpec("show", "s")]),
            new PaletteSpec("log", "l", [new CommandSpec("peek", "p")]),
        ]);
        Assert.Equal(["cluster", "log", "help", "exit"], DroverCli.Completions(catalog, ""));
        Assert.Equal(["cluster", "log", "help", "exit"], DroverCli.Completions(catalog, "clu"));
        Assert.Equal(["down", "show"], DroverCli.Completions(catalog, "cluster "));
        Assert.Equal(["--address"], DroverCli.Completions(catalog, "cluster down "));
        Assert.Empty(DroverCli.Completions(catalog, "cluster down -a x "));
        Assert.Equal(["cluster", "log"], DroverCli.Completions(catalog, "help "));
        Assert.Empty(DroverCli.Completions(catalog, "nope "));
    }

    private static string[] Split(string line)
    {
        Assert.True(CommandLineTokens.TrySplit(line, out var words, out _));
        return [.. words];
    }
}
