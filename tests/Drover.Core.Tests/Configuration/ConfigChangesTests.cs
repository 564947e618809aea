using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Net;
using Drover.Core.Pools;
using Xunit;

namespace Drover.Core.Tests.Configuration;

public class ConfigChangesTests
{
    private static readonly PoolConfig Web = new("web", BalanceMode.RoundRobin, HashKey.ClientIp,
        [Backend("b1", 9101), Backend("b2", 9102), Backend("b3", 9103)], TimeoutsConfig.Default);

    private static readonly ListenerConfig HttpListener = Http("http", Bind("127.0.0.1", 8080), new RouteConfig("*", "/", "web"));
    private static readonly ListenerConfig TcpListener = Tcp("tcp", Bind("127.0.0.1", 8443), "web");

    private static readonly DroverConfig Running = new([HttpListener, TcpListener], [Web], DemoConfig.None);

    [Fact]
    public void SameConfig_NoChanges()
    {
        // Equal content in new objects (as a reload reads them) is no change.
        var again = new DroverConfig(
            [Http("http", Bind("127.0.0.1", 8080), new RouteConfig("*", "/", "web")), Tcp("tcp", Bind("127.0.0.1", 8443), "web")],
            [Web with { Backends = [Backend("b1", 9101), Backend("b2", 9102), Backend("b3", 9103)] }], DemoConfig.None);
        var changes = ConfigChanges.Between(Running, again);
        Assert.True(changes.IsEmpty);
        Assert.Empty(changes.Rejections);
        Assert.Equal("no changes", changes.Summary);
    }

    [Fact]
    public void BackendsAddedRemovedReweighted()
    {
        var next = Running with { Pools = [Web with { Backends = [Backend("b1", 9101, weight: 5), Backend("b3", 9103), Backend("b4", 9104)] }] };
        var changes = ConfigChanges.Between(Running, next);
        var pool = Assert.Single(changes.ChangedPools);
        Assert.Equal(["b4"], pool.Added);
        Assert.Equal(["b2"], pool.Removed);
        Assert.Equal(["b1"], pool.Reweighted);
        Assert.Empty(pool.Settings);
        Assert.Equal("~pool web (+b4 -b2, weights)", changes.Summary);
    }

    [Fact]
    public void NewAddress_SameId_IsReplaced()
    {
        var next = Running with { Pools = [Web with { Backends = [Backend("b1", 9201), Backend("b2", 9102), Backend("b3", 9103)] }] };
        var pool = Assert.Single(ConfigChanges.Between(Running, next).ChangedPools);
        Assert.Equal(["b1"], pool.Replaced);
        Assert.Empty(pool.Added);
        Assert.Empty(pool.Removed);
    }

    [Fact]
    public void PoolSettings_AreNamed()
    {
        var next = Running with
        {
            Pools = [Web with { Balance = BalanceMode.LeastConnections, Retries = RetryConfig.None, SlowStart = TimeSpan.FromSeconds(5) }],
        };
        var pool = Assert.Single(ConfigChanges.Between(Running, next).ChangedPools);
        Assert.Equal(["balance", "retries", "slow-start"], pool.Settings);
    }

    [Fact]
    public void PoolsAndListenersAddedAndRemoved()
    {
        var api = Web with { Name = "api" };
        var next = new DroverConfig(
            [HttpListener with { Routes = [new RouteConfig("*", "/api", "api"), new RouteConfig("*", "/", "web")] }, Http("admin2", Bind("127.0.0.1", 0), new RouteConfig("*", "/", "api"))],
            [Web, api], DemoConfig.None);
        var changes = ConfigChanges.Between(Running, next);
        Assert.Equal(["api"], changes.AddedPools);
        Assert.Equal(["admin2"], changes.AddedListeners);
        Assert.Equal(["tcp"], changes.RemovedListeners);
        var http = Assert.Single(changes.ChangedListeners);
        Assert.False(http.Rebind);
        Assert.Equal(["routes"], http.What);
        Assert.Empty(changes.Rejections);
        Assert.Equal("+pool api, +listener admin2, ~listener http (routes), -listener tcp", changes.Summary);
    }

    [Fact]
    public void NewBind_IsARebind()
    {
        var next = Running with { Listeners = [HttpListener with { Bind = Bind("127.0.0.1", 8081) }, TcpListener] };
        var change = Assert.Single(ConfigChanges.Between(Running, next).ChangedListeners);
        Assert.True(change.Rebind);
    }

    [Fact]
    public void RestartOnlySections_AreRejectedWithTheirPaths()
    {
        var next = Running with
        {
            Demo = new DemoConfig(2, 9001),
            Cmd = CmdConfig.Default with { Bind = Bind("127.0.0.1", 9111) },
            Cluster = new ClusterConfig("0123456789abcdef0123"),
            Io = new IoConfig(IoEngine.Sockets, TimeSpan.Zero, Splice: false),
        };
        var paths = ConfigChanges.Between(Running, next).Rejections.Select(e => e.Path).ToList();
        Assert.Equal(["drover.demo", "drover.cmd", IoConfig.EnginePath, IoConfig.BusyPollPath, IoConfig.SplicePath, ClusterConfig.SecretPath], paths);
    }

    [Fact]
    public void ModeChange_OnTheSameBind_IsRejected()
    {
        var next = Running with { Listeners = [HttpListener, Tcp("tcp", Bind("127.0.0.1", 8443), null) with { Mode = ListenerMode.Http, Routes = [new RouteConfig("*", "/", "web")] }] };
        var error = Assert.Single(ConfigChanges.Between(Running, next).Rejections);
        Assert.Equal("drover.listeners.tcp.mode", error.Path);
    }

    [Fact]
    public void NewSocket_OnAnAddressALeavingListenerHolds_IsRejected()
    {
        // tcp goes away and http moves onto its port: the port is busy until tcp has drained.
        var next = Running with { Listeners = [HttpListener with { Bind = TcpListener.Bind }] };
        var error = Assert.Single(ConfigChanges.Between(Running, next).Rejections);
        Assert.Equal("drover.listeners.http.bind", error.Path);
        Assert.Contains("'tcp'", error.Message);
    }

    [Fact]
    public void ChangedState_IsReported()
    {
        var next = Running with { Pools = [Web with { Backends = [Backend("b1", 9101) with { State = AdminState.Drain }, Backend("b2", 9102), Backend("b3", 9103)] }] };
        var pool = Assert.Single(ConfigChanges.Between(Running, next).ChangedPools);
        Assert.Equal(["b1"], pool.StateChanged);
    }

    private static BackendConfig Backend(string id, int port, int weight = 1) => new(id, Bind("127.0.0.1", port), weight);

    private static HostPort Bind(string host, int port) => new(host, port);

    private static ListenerConfig Http(string name, HostPort bind, params RouteConfig[] routes) =>
        new(name, ListenerMode.Http, bind, routes, null, [], ListenerConfig.DefaultInspectDelay);

    private static ListenerConfig Tcp(string name, HostPort bind, string? pool, params SniRouteConfig[] sniRoutes) =>
        new(name, ListenerMode.Tcp, bind, [], pool, sniRoutes, ListenerConfig.DefaultInspectDelay);
}
