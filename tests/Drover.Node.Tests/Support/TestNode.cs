using Akka.Configuration;
using Drover.Node.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Tests.Support;

/// <summary>Starts an in-process Drover node on loopback with free ports: remoting, the command host and the admin endpoint on port 0, no demo backends.</summary>
public static class TestNode
{
    /// <summary>Comes before the test's own drover section, so a test that sets drover.cmd wins.</summary>
    public const string CmdForTests = "drover.cmd.bind = \"127.0.0.1:0\"";

    /// <summary>The admin endpoint on a free port too (parallel nodes never collide on 9901); a test's own drover.admin wins.</summary>
    public const string AdminForTests = "drover.admin.bind = \"127.0.0.1:0\"";

    /// <summary>
    /// No ready delay (a test that stops a node should not wait for balancers that do not exist) and a
    /// short drain; a test's own drover.shutdown wins.
    /// </summary>
    public const string ShutdownForTests = "drover.shutdown { ready-delay = 0s, drain-timeout = 2s }";

    public const string AkkaForTests = """
        akka {
          loglevel = WARNING
          actor.provider = cluster
          remote.dot-netty.tcp { hostname = "127.0.0.1", port = 0 }
          cluster {
            seed-nodes = []
            sharding.state-store-mode = ddata
          }
          coordinated-shutdown.phases.service-unbind.timeout = 10s
        }
        """;

    public static NodeConfiguration Config(string drover, IDictionary<string, string>? environment = null)
    {
        var hocon = Drover.Node.Configuration.HoconText.Parse(CmdForTests + "\n" + AdminForTests + "\n" + ShutdownForTests + "\n" + drover + "\n" + AkkaForTests, "test");
        var env = environment is null ? null : new System.Collections.Hashtable(environment.ToDictionary(kv => (object)kv.Key, kv => (object?)kv.Value));
        return ConfigLoader.FromHocon(hocon, "test", env);
    }

    public static Task<DroverNode> StartAsync(string drover) => StartAsync(Config(drover));

    public static Task<DroverNode> StartAsync(NodeConfiguration config) =>
        DroverNode.StartAsync(config, logging => logging.SetMinimumLevel(LogLevel.Warning));

    /// <summary>A pool block with the given backends (id = address).</summary>
    public static string Pool(string name, string balance, params (string Id, System.Net.IPEndPoint EndPoint, int Weight)[] backends) =>
        $$"""
        {{name}} {
          balance = {{balance}}
          backends = [ {{string.Join(", ", backends.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\", weight = {b.Weight} }}"))}} ]
          timeouts { connect = 1s, response = 5s, idle = 30s }
        }
        """;
}
