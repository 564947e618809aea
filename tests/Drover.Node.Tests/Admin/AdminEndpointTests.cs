using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Drover.Core.Configuration;
using Drover.Node.Admin.Stats;
using Drover.Node.Tests.Support;

namespace Drover.Node.Tests.Admin;

/// <summary>The admin endpoint's binding: port 0, disabled, a port in use, and its stop with the node.</summary>
public sealed class AdminEndpointTests
{
    private const string Drover = """
        drover {
          listeners.raw { mode = tcp, bind = "127.0.0.1:0", pool = p }
          pools.p.backends = [ { id = a, address = "127.0.0.1:1" } ]
        }
        """;

    [Fact]
    public async Task Port_0_binds_a_free_port_per_node_that_the_node_reports()
    {
        await using var a = await TestNode.StartAsync(Drover);
        await using var b = await TestNode.StartAsync(Drover);
        var (pa, pb) = (a.Admin.EndPoint!, b.Admin.EndPoint!);
        Assert.NotEqual(0, pa.Port);
        Assert.NotEqual(pa.Port, pb.Port);
        Assert.Equal(IPAddress.Loopback, pa.Address);

        using var client = new HttpClient();
        var index = await client.GetStringAsync($"http://{pa}/");
        foreach (var path in new[] { "/metrics", "/healthz", "/readyz", "/stats", "/stats.json" }) Assert.Contains(path, index);
        using var missing = await client.GetAsync($"http://{pa}/nope");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Disabled_there_is_no_endpoint_but_the_stats_actor_still_answers_other_nodes()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0); // a port in use is no problem when the endpoint is off
        taken.Start();
        await using var node = await TestNode.StartAsync(Drover.Replace("drover {", $"drover {{ admin {{ enabled = off, bind = \"{taken.LocalEndpoint}\" }}"));
        Assert.Null(node.Admin.EndPoint);
        Assert.False(node.Admin.Bound.IsCompleted);

        var stats = await node.System.ActorSelection($"/user/{AdminStatsProtocol.ActorName}")
            .Ask<AdminStatsProtocol.NodeStats>(AdminStatsProtocol.GetLocalStats.Instance, TimeSpan.FromSeconds(5));
        Assert.Equal("", stats.Admin);
        Assert.Equal("raw", Assert.Single(stats.Listeners).Name);
        await Assert.ThrowsAsync<ActorNotFoundException>(() => node.System.ActorSelection("/user/admin").ResolveOne(TimeSpan.FromSeconds(2)));
    }

    [Fact]
    public async Task A_port_in_use_is_a_config_error_naming_drover_admin_bind()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var error = await Assert.ThrowsAsync<ConfigException>(() =>
            TestNode.StartAsync(Drover.Replace("drover {", $"drover {{ admin.bind = \"{taken.LocalEndpoint}\"")));
        var only = Assert.Single(error.Errors);
        Assert.Equal("drover.admin.bind", only.Path);
        Assert.Equal($"{taken.LocalEndpoint} is already in use", only.Message);
    }

    [Fact]
    public async Task The_endpoint_closes_when_the_node_stops()
    {
        var node = await TestNode.StartAsync(Drover);
        var endPoint = node.Admin.EndPoint!;
        using (var client = new HttpClient()) Assert.Equal("ok\n", await client.GetStringAsync($"http://{endPoint}/healthz"));
        await node.DisposeAsync();
        using var probe = new TcpClient();
        await Assert.ThrowsAnyAsync<SocketException>(() => probe.ConnectAsync(endPoint));
    }
}
