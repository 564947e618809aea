using Drover.Cluster.Tests.Support;
using Drover.Node.Sessions;
using Drover.Node.Tests.Support;

namespace Drover.Cluster.Tests.Sessions;

/// <summary>
/// Three nodes and three demo backends shared by the tests of <see cref="StickyAcrossNodesTests"/>:
/// one HTTP listener routing by <c>X-Pool</c> to a pool per sticky mode, and a TCP listener on the
/// client-ip pool.
/// </summary>
public sealed class StickyClusterFixture : IAsyncLifetime
{
    public const string Secret = "cluster-tests-secret-0123456789";

    public DemoBackends Backends { get; private set; } = null!;
    public TestCluster Cluster { get; private set; } = null!;

    public static string Config(DemoBackends backends, string extraPools = "")
    {
        var list = string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"));
        string PoolOf(string name, string sticky) => $"{name} {{ balance = round-robin, slow-start = 0s, backends = [ {list} ], sticky {{ {sticky} }} }}";
        return $$"""
            drover {
              cluster.secret = "{{Secret}}"
              listeners {
                web {
                  mode = http, bind = "127.0.0.1:0"
                  routes = [
                    { header { name = X-Pool, value = cookie }, pool = cookie }
                    { header { name = X-Pool, value = learn }, pool = learn }
                    { header { name = X-Pool, value = ip }, pool = ip }
                    { pool = header }
                  ]
                }
                raw { mode = tcp, bind = "127.0.0.1:0", pool = ip }
              }
              pools {
                {{PoolOf("cookie", "mode = cookie")}}
                {{PoolOf("header", "mode = \"header:X-User\"")}}
                {{PoolOf("ip", "mode = client-ip")}}
                {{PoolOf("learn", "mode = \"learn-cookie:SID\"")}}
                {{PoolOf("many", "mode = \"header:X-User\"")}}
                {{PoolOf("short", "mode = \"header:X-User\", ttl = 3s")}}
                {{extraPools}}
              }
            }
            """;
    }

    public async Task InitializeAsync()
    {
        Backends = await DemoBackends.StartAsync(3);
        // A quick sweep, so bindings handed off by a rebalance and never used again do not outlive the test by a minute.
        Cluster = await TestCluster.StartAsync(3, Config(Backends), SessionOptions.Default with { SweepInterval = TimeSpan.FromSeconds(2) });
    }

    public async Task DisposeAsync()
    {
        await Cluster.DisposeAsync();
        await Backends.DisposeAsync();
    }
}
