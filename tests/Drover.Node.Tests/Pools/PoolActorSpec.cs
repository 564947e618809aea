using Akka.Actor;
using Akka.TestKit.Xunit2;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Core.Pools;
using Drover.Node.Pools;

namespace Drover.Node.Tests.Pools;

public sealed class PoolActorSpec : TestKit
{
    private static (PoolConfig, PoolHandle, Backend[]) Pool()
    {
        var config = new PoolConfig("p", BalanceMode.RoundRobin, HashKey.ClientIp,
            [new BackendConfig("a", new HostPort("127.0.0.1", 9001), 2), new BackendConfig("b", new HostPort("127.0.0.1", 9002), 1)],
            TimeoutsConfig.Default);
        var backends = config.Backends.Select(b => new Backend("p", b)).ToArray();
        var handle = new PoolHandle(config, PoolSnapshot.Build(config, 0, backends, b => b.ConfiguredWeight));
        return (config, handle, backends);
    }

    [Fact]
    public void Publishes_a_new_snapshot_on_start_and_registers_itself_on_the_handle()
    {
        var (config, handle, backends) = Pool();
        var before = handle.Snapshot;
        var pool = Sys.ActorOf(PoolActor.Props(config, handle, backends));

        AwaitAssert(() => Assert.True(handle.Snapshot.Version > before.Version));
        Assert.Equal(pool, handle.Actor);
        Assert.Equal(["a", "b"], handle.Snapshot.Candidates.Select(b => b.Id));
        Assert.Equal([2, 1], handle.Snapshot.Weights);
        // The new snapshot reuses the backend objects, so live counters carry over.
        Assert.Same(backends[0], handle.Snapshot.Candidates[0]);
    }

    [Fact]
    public void Reports_its_state_with_live_counters()
    {
        var (config, handle, backends) = Pool();
        var pool = Sys.ActorOf(PoolActor.Props(config, handle, backends));
        backends[1].OnStart();
        backends[1].OnFailure();

        pool.Tell(PoolProtocol.GetState.Instance);
        var state = ExpectMsg<PoolProtocol.PoolState>();

        Assert.Equal("p", state.Pool);
        Assert.Equal("round-robin", state.Balance);
        var b = state.Backends.Single(x => x.Id == "b");
        Assert.Equal((1L, 1L, 1L, true, 1), (b.Active, b.Requests, b.Failures, b.Candidate, b.Weight));
    }

    [Fact]
    public void Logs_a_connect_failure_once_per_interval_not_per_request()
    {
        var (config, handle, backends) = Pool();
        var pool = Sys.ActorOf(PoolActor.Props(config, handle, backends));

        EventFilter.Warning(contains: "backend a connect failed").Expect(1, () =>
        {
            for (var i = 0; i < 50; i++) pool.Tell(new PoolProtocol.ConnectFailed("a", "ConnectionRefused"));
        });
        EventFilter.Warning(contains: "backend b connect failed").Expect(1, () => pool.Tell(new PoolProtocol.ConnectFailed("b", "TimedOut")));
    }
}
