using System.Net;
using Akka.Actor;
using Drover.Node.Pools;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Resilience;

/// <summary>all-unhealthy: when the checks say every backend is down, fail (503) or send to all of them (panic mode).</summary>
public sealed class PanicModeTests
{
    [Theory]
    [InlineData("fail", HttpStatusCode.ServiceUnavailable)]
    [InlineData("use-all", HttpStatusCode.OK)]
    public async Task Every_backend_down_by_its_checks(string mode, HttpStatusCode expected)
    {
        await using var backends = await DemoBackends.StartAsync(2);
        // The checks expect a body the backends never send, so every backend goes down.
        await using var node = await TestNode.StartAsync($$"""
            drover {
              listeners.web { mode = http, bind = "127.0.0.1:0", routes = [ { pool = p } ] }
              pools.p {
                all-unhealthy = {{mode}}
                health.active { path = /healthz, expect-body = "no such text", interval = 100ms, timeout = 200ms, fall = 1, jitter = 0% }
                backends = [ {{string.Join(", ", backends.All.Select(b => $"{{ id = {b.Id}, address = \"{b.EndPoint}\" }}"))}} ]
              }
            }
            """);
        var pool = node.Runtime.Pools["p"];
        var deadline = DateTime.UtcNow.AddSeconds(10);
        PoolProtocol.PoolState state;
        do
        {
            await Task.Delay(50);
            state = await pool.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, TimeSpan.FromSeconds(5));
        } while (!state.Backends.All(b => b.Health == "down") && DateTime.UtcNow < deadline);
        Assert.All(state.Backends, b => Assert.Equal("down", b.Health));
        Assert.Equal(mode == "use-all", state.Panic);

        using var client = new HttpClient { BaseAddress = new Uri($"http://{node.Runtime.ListenerEndPoint("web")}") };
        using var response = await client.GetAsync("/");
        Assert.Equal(expected, response.StatusCode);
        if (expected == HttpStatusCode.ServiceUnavailable)
            Assert.Contains("pool 'p' has no usable backend", await response.Content.ReadAsStringAsync());
    }
}
