using System.Diagnostics;
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
        string Config(int count) => $$"""
            drover {
              reload.watch = off
              listeners.web { mode = http, bind = "127.0.0.1:{{web}}", routes = [ { pool = p } ] }
              pools.p {
                balance = round-robin, slow-start = 0s
                backends = [ {{string.Join(", ", demo.All.Take(count).Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
              }
            }
            akka.remote.dot-netty.tcp.port = 0
            """;
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
            await Eventually.TrueAsync(async () =>
            {
                seen.Add((await client.GetStringAsync("/")).Split(':')[0]);
                return seen.Contains("b2");
            }, TimeSpan.FromSeconds(30), "b2 took traffic after SIGHUP");
            await node.WaitForOutputAsync("reload: ~pool p (+b2)", TimeSpan.FromSeconds(10));

            node.Terminate();
            Assert.Equal(0, await node.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
