using System.Diagnostics;
using Drover.Node.Demo;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Reload;

/// <summary>SIGHUP to a real node process reloads its config file; the node keeps running (SIGHUP's default would end it).</summary>
public sealed class SighupReloadTests
{
    [Fact]
    public async Task SIGHUP_reloads_the_config_file_and_the_node_keeps_serving()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        var web = FreePort.Next();
        var path = Path.Combine(Path.GetTempPath(), $"drover-sighup-{Guid.NewGuid():N}.hocon");
        string Config(int count) => NodeConfig(web, demo.All.Take(count));
        try
        {
            await File.WriteAllTextAsync(path, Config(1));
            await using var node = NodeProcess.Start("--config", path);
            await node.WaitForOutputAsync("http listener web", TimeSpan.FromSeconds(60));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{web}") };
            Assert.StartsWith("b1:", await client.GetStringAsync("/"));

            await File.WriteAllTextAsync(path, Config(2));
            Process.Start("kill", ["-HUP", node.Id.ToString()])!.WaitForExit();

            var seen = new HashSet<string>();
            try
            {
                await Eventually.TrueAsync(async () =>
                {
                    seen.Add((await client.GetStringAsync("/")).Split(':')[0]);
                    return seen.Contains("b2");
                }, TimeSpan.FromSeconds(30), "b2 took traffic after SIGHUP");
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"{ex.Message}; the node printed:\n{node.Stdout}\n{node.Stderr}", ex);
            }
            await node.WaitForOutputAsync("reload: ~pool p (+b2)", TimeSpan.FromSeconds(10));

            node.Terminate();
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
            Assert.DoesNotContain("SIGHUP is ignored", node.Stdout);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public async Task A_node_started_with_SIGHUP_ignored_says_so_and_lb_reload_still_works()
    {
        await using var demo = await DemoBackends.StartAsync(2);
        var web = FreePort.Next();
        var path = Path.Combine(Path.GetTempPath(), $"drover-nohup-{Guid.NewGuid():N}.hocon");
        string Config(int count) => NodeConfig(web, demo.All.Take(count));
        try
        {
            await File.WriteAllTextAsync(path, Config(1));
            // What nohup does: SIGHUP ignored before the runtime starts, and the runtime keeps it so.
            await using var node = NodeProcess.StartIgnoring("HUP", "--config", path);
            await node.WaitForOutputAsync("http listener web", TimeSpan.FromSeconds(60));
            await node.WaitForOutputAsync("SIGHUP is ignored in this process", TimeSpan.FromSeconds(10));
            Assert.Contains("use 'lb reload' or drover.reload.watch = on", node.Stdout);

            // SIGHUP does nothing (the node neither reloads nor ends) ...
            await File.WriteAllTextAsync(path, Config(2));
            Process.Start("kill", ["-HUP", node.Id.ToString()])!.WaitForExit();
            // Time for a handled SIGHUP to have applied (the other test's reload takes well under it).
            await Task.Delay(TimeSpan.FromSeconds(2));
            using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{web}") };
            for (var i = 0; i < 10; i++) Assert.StartsWith("b1:", await client.GetStringAsync("/"));
            Assert.DoesNotContain("reload: ", node.Stdout);

            // ... and lb reload, which the warning points to, applies the file.
            var command = System.Text.RegularExpressions.Regex.Match(node.Stdout, @"command host on (\S+)").Groups[1].Value;
            var reload = await CliRunner.RunAsync(System.Net.IPEndPoint.Parse(command), "lb reload");
            Assert.True(reload.ExitCode == 0, reload.Error);
            var seen = new HashSet<string>();
            await Eventually.TrueAsync(async () =>
            {
                seen.Add((await client.GetStringAsync("/")).Split(':')[0]);
                return seen.Contains("b2");
            }, TimeSpan.FromSeconds(30), "b2 took traffic after lb reload");
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>An HTTP listener on <paramref name="web"/> and one round-robin pool of <paramref name="backends"/>; no file watch.</summary>
    private static string NodeConfig(int web, IEnumerable<DemoBackend> backends) => $$"""
        drover {
          reload.watch = off
          listeners.web { mode = http, bind = "127.0.0.1:{{web}}", routes = [ { pool = p } ] }
          pools.p {
            balance = round-robin, slow-start = 0s
            backends = [ {{string.Join(", ", backends.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
          }
        }
        akka.remote.dot-netty.tcp.port = 0
        """;
}
