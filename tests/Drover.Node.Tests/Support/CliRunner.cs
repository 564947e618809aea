using System.Net;
using Drover.Cli;
using Drover.Core.Commands;

namespace Drover.Node.Tests.Support;

/// <summary>Runs the <c>drover</c> CLI in-process against a node's command host, as a user would type it.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Output, string Error)
    {
        public string[] Lines => Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary><c>drover HOST:PORT COMMAND LINE</c>, e.g. <c>Cli.RunAsync(ep, "cluster down -a 1.2.3.4:5")</c>.</summary>
    public static async Task<Result> RunAsync(IPEndPoint host, string commandLine, string? token = null, string input = "")
    {
        var console = new TestConsole(input);
        Assert.True(CommandLineTokens.TrySplit(commandLine, out var words, out var error), error);
        var code = await DroverCli.RunAsync([host.ToString(), .. words], token, console).WaitAsync(TimeSpan.FromSeconds(60));
        return new Result(code, console.Output, console.ErrorOutput);
    }

    /// <summary>Runs a command that must succeed and returns its output lines.</summary>
    public static async Task<string[]> LinesAsync(IPEndPoint host, string commandLine, string? token = null)
    {
        var result = await RunAsync(host, commandLine, token);
        Assert.True(result.ExitCode == 0, $"drover {commandLine} exited {result.ExitCode}: {result.Error}{result.Output}");
        return result.Lines;
    }
}
