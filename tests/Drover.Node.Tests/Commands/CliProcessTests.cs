using System.Diagnostics;
using System.Text;
using Akka.Event;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Commands;

/// <summary>The built <c>drover</c> executable and node, run as processes the way an operator runs them.</summary>
public sealed class CliProcessTests(CommandNodeFixture fixture) : IClassFixture<CommandNodeFixture>
{
    [Fact]
    public async Task One_shot_prints_the_answer_and_exits_0_or_with_the_error_code()
    {
        var (code, stdout, stderr) = await RunAsync([fixture.Cmd.ToString(), "cluster", "show"]);
        Assert.Equal(0, code);
        Assert.Matches(@"^akka\.tcp://drover@127\.0\.0\.1:\d+ \| \[lb\] \| up \|  \| \S+\nCount: 1 nodes\n$", stdout);
        Assert.Equal("", stderr);

        (code, _, stderr) = await RunAsync([fixture.Cmd.ToString(), "cluster", "down"]);
        Assert.Equal(2, code);
        Assert.Equal("drover: cluster down: missing -a/--address ADDRESS (usage: cluster down -a ADDRESS)\n", stderr);

        (code, _, stderr) = await RunAsync([$"127.0.0.1:{FreePort.Next()}", "cluster", "show"]);
        Assert.Equal(3, code);
        Assert.StartsWith("drover: cannot reach 127.0.0.1:", stderr);
    }

    [Fact]
    public async Task The_prompt_with_redirected_input_survives_ctrl_c_during_a_stream()
    {
        using var cli = Start([fixture.Cmd.ToString()], out var stdout, out var stderr);
        await cli.StandardInput.WriteLineAsync("log tail");
        await cli.StandardInput.FlushAsync();
        var marker = $"process-{Guid.NewGuid():N}";
        await Eventually.TrueAsync(() =>
        {
            fixture.Node.System.Log.Warning("marker {0}", marker);
            lock (stdout) return stdout.ToString().Contains(marker);
        }, TimeSpan.FromSeconds(20), "log tail streams to the CLI process");

        Process.Start("kill", ["-INT", cli.Id.ToString()])!.WaitForExit();
        await cli.StandardInput.WriteLineAsync("cluster status");
        await cli.StandardInput.WriteLineAsync("exit");
        await cli.StandardInput.FlushAsync();
        try
        {
            await cli.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(20));
        }
        catch (TimeoutException ex)
        {
            cli.Kill(entireProcessTree: true);
            lock (stdout) throw new TimeoutException($"the CLI did not exit after ctrl+c, 'cluster status', 'exit'; it printed:\n{stdout}\nand on stderr:\n{stderr}", ex);
        }
        cli.WaitForExit();

        Assert.Equal(0, cli.ExitCode);
        var output = stdout.ToString();
        var prompt = $"[{fixture.Cmd}] drover> ";
        Assert.Contains($"{prompt}log tail\n", output);
        Assert.Contains($"{prompt}cluster status\nakka.tcp://drover@127.0.0.1:", output);
        Assert.EndsWith($"{prompt}exit\n", output);
        Assert.Equal("", stderr.ToString());
    }

    [Fact]
    public async Task A_node_bound_beyond_loopback_without_a_token_exits_2_naming_the_key()
    {
        var path = Path.Combine(Path.GetTempPath(), $"drover-cmd-{Guid.NewGuid():N}.hocon");
        await File.WriteAllTextAsync(path, CommandNodeFixture.Drover + "\nakka.remote.dot-netty.tcp.port = 0\n");
        try
        {
            await using var node = NodeProcess.Start(new Dictionary<string, string> { ["DROVER__CMD__BIND"] = "0.0.0.0:0" }, "--config", path);
            Assert.Equal(2, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.Contains("drover.cmd.token: is required when drover.cmd.bind (0.0.0.0:0) is not a loopback address", node.Stderr);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string[] args)
    {
        using var cli = Start(args, out var stdout, out var stderr);
        cli.StandardInput.Close();
        await cli.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        cli.WaitForExit();
        return (cli.ExitCode, stdout.ToString(), stderr.ToString());
    }

    private static Process Start(string[] args, out StringBuilder stdout, out StringBuilder stderr)
    {
        // Through env, with SIGINT at its default like a shell's foreground process (see NodeProcess).
        var info = new ProcessStartInfo("env")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment.Remove("DROVER_CMD_TOKEN");
        info.ArgumentList.Add(NodeProcess.DefaultSignals);
        info.ArgumentList.Add("dotnet");
        info.ArgumentList.Add(CliDll);
        foreach (var arg in args) info.ArgumentList.Add(arg);
        var process = Process.Start(info)!;
        var o = new StringBuilder();
        var e = new StringBuilder();
        process.OutputDataReceived += (_, d) => { if (d.Data is not null) lock (o) o.Append(d.Data).Append('\n'); };
        process.ErrorDataReceived += (_, d) => { if (d.Data is not null) lock (e) e.Append(d.Data).Append('\n'); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        stdout = o;
        stderr = e;
        return process;
    }

    /// <summary>The drover.dll built in the same configuration as the node that NodeProcess runs.</summary>
    private static string CliDll
    {
        get
        {
            var nodeBin = new FileInfo(NodeProcess.NodeDll).Directory!; // src/Drover.Node/bin/CONFIGURATION/net10.0
            var configuration = nodeBin.Parent!.Name;
            var src = nodeBin.Parent.Parent!.Parent!.Parent!;
            return Path.Combine(src.FullName, "Drover.Cli", "bin", configuration, "net10.0", "drover.dll");
        }
    }
}
