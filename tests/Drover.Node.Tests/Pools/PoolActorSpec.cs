using Akka.Actor;
using Akka.TestKit;
using Akka.TestKit.Xunit2;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Net;
using Drover.Core.Pools;
using Drover.Node.Health;
using Drover.Node.Pools;

namespace Drover.Node.Tests.Pools;

/// <summary>
/// The pool actor's rules, driven by messages and a clock the test moves (no sleeping). Its timers run on
/// Akka's virtual <see cref="TestScheduler"/>: they fire only when a test advances it.
/// </summary>
public sealed class PoolActorSpec : TestKit
{
    private TimeSpan _now = TimeSpan.FromHours(1);

    public PoolActorSpec() : base("akka.scheduler.implementation = \"Akka.TestKit.TestScheduler, Akka.TestKit\"") { }

    private TestScheduler Scheduler => (TestScheduler)Sys.Scheduler;

    private (PoolHandle Handle, Backend[] Backends, IActorRef Actor) Start(Func<PoolConfig, PoolConfig>? configure = null, params int[] weights)
    {
        if (weights.Length == 0) weights = [2, 1];
        var config = new PoolConfig("p", BalanceMode.RoundRobin, HashKey.ClientIp,
            weights.Select((w, i) => new BackendConfig(((char)('a' + i)).ToString(), new HostPort("127.0.0.1", 9001 + i), w)).ToList(),
            TimeoutsConfig.Default) { SlowStart = TimeSpan.Zero };
        if (configure is not null) config = configure(config);
        var backends = config.Backends.Select((b, i) => new Backend("p", b, i)).ToArray();
        var handle = new PoolHandle(config, PoolSnapshot.Build(config, 0, backends, b => b.ConfiguredWeight));
        var actor = Sys.ActorOf(PoolActor.Props(config, handle, backends, () => _now));
        AwaitCondition(() => handle.Actor.Equals(actor) && handle.Snapshot.Version > 0);
        return (handle, backends, actor);
    }

    private static string[] Candidates(PoolHandle handle) => handle.Snapshot.Candidates.Select(b => b.Id).ToArray();

    private PoolProtocol.PoolState State(IActorRef actor)
    {
        actor.Tell(PoolProtocol.GetState.Instance);
        return ExpectMsg<PoolProtocol.PoolState>();
    }

    /// <summary>Counts <paramref name="count"/> failures on the data path's counters and tells the actor, as the data path does.</summary>
    private static void Fail(PoolHandle handle, Backend backend, int count)
    {
        for (var i = 0; i < count; i++) handle.ReportFailure(backend, "connect refused");
    }

    [Fact]
    public void Publishes_a_new_snapshot_on_start_and_registers_itself_on_the_handle()
    {
        var (handle, backends, actor) = Start();
        Assert.Equal(actor, handle.Actor);
        Assert.Equal(["a", "b"], Candidates(handle));
        Assert.Equal([2, 1], handle.Snapshot.Weights);
        Assert.Same(backends[0], handle.Snapshot.Candidates[0]); // live counters carry over
    }

    [Fact]
    public void Reports_its_state_with_live_counters()
    {
        var (handle, backends, actor) = Start();
        backends[1].OnStart();
        backends[1].OnFailure();

        var state = State(actor);
        Assert.Equal(("p", "round-robin"), (state.Pool, state.Balance));
        var b = state.Backends.Single(x => x.Id == "b");
        Assert.Equal((1L, 1L, 1L, true, 1, "up", "ready"), (b.Active, b.Requests, b.Failures, b.Candidate, b.Weight, b.Health, b.Admin));
    }

    [Fact]
    public void Logs_backend_faults_once_per_interval_not_per_request()
    {
        var (handle, backends, _) = Start(c => c with { Health = c.Health with { Passive = PassiveHealthConfig.Off } });
        EventFilter.Warning(contains: "backend a failed").Expect(1, () => Fail(handle, backends[0], 50));
        EventFilter.Warning(contains: "backend b failed").Expect(1, () => Fail(handle, backends[1], 1));
    }

    [Fact]
    public void Ejects_after_exactly_consecutive_failures_logs_it_once_and_publishes_the_event()
    {
        var (handle, backends, _) = Start(weights: [1, 1, 1]);
        Sys.EventStream.Subscribe(TestActor, typeof(PoolProtocol.BackendHealthChanged));

        Fail(handle, backends[0], 4);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(["a", "b", "c"], Candidates(handle));

        EventFilter.Warning(contains: "backend a up -> ejected: 5 consecutive failures").ExpectOne(() => Fail(handle, backends[0], 1));
        var changed = ExpectMsg<PoolProtocol.BackendHealthChanged>();
        Assert.Equal(("a", BackendHealthStatus.Up, BackendHealthStatus.Ejected), (changed.BackendId, changed.From, changed.To));
        Assert.Equal(["b", "c"], Candidates(handle));
    }

    [Fact]
    public void Failure_reports_out_of_order_still_eject_at_the_fifth_failure()
    {
        // Five failures counted on the data path (streaks 1..5), reported from different threads and
        // arriving 2, 1, 3, 5, 4: the report of the fifth ejects, whatever came before it.
        var (handle, backends, actor) = Start(weights: [1, 1, 1]);
        var generation = backends[0].FailureGeneration;
        for (var i = 0; i < 5; i++) backends[0].OnFailure();
        foreach (var streak in new[] { 2, 1, 3 }) actor.Tell(new PoolProtocol.BackendFailed(0, streak, generation, "reset"));
        Assert.Equal("up", State(actor).Backends[0].Health);
        actor.Tell(new PoolProtocol.BackendFailed(0, 5, generation, "reset"));
        Assert.Equal("ejected", State(actor).Backends[0].Health);
        Assert.Equal(["b", "c"], Candidates(handle));
        // The verdict ended that streak on the data path: a new one starts from zero.
        Assert.Equal((0, generation + 1), (backends[0].FailureStreak, backends[0].FailureGeneration));
        actor.Tell(new PoolProtocol.BackendFailed(0, 4, generation, "reset"));   // the late one
        Assert.Equal("ejected", State(actor).Backends[0].Health);
    }

    [Fact]
    public void A_late_report_from_a_streak_a_success_ended_does_not_count()
    {
        var (handle, backends, actor) = Start(weights: [1, 1, 1]);
        var first = backends[0].FailureGeneration;
        for (var i = 0; i < 4; i++) backends[0].OnFailure();
        backends[0].OnSuccess();
        var second = backends[0].FailureGeneration;
        for (var i = 0; i < 4; i++) backends[0].OnFailure();
        // The new streak's four arrive first, then a straggler of the old one: four in a row, not five.
        for (var streak = 1; streak <= 4; streak++) actor.Tell(new PoolProtocol.BackendFailed(0, streak, second, "reset"));
        actor.Tell(new PoolProtocol.BackendFailed(0, 4, first, "reset"));
        Assert.Equal("up", State(actor).Backends[0].Health);
        Assert.Equal(["a", "b", "c"], Candidates(handle));
    }

    [Fact]
    public void A_success_between_failures_restarts_the_count()
    {
        var (handle, backends, actor) = Start(weights: [1, 1, 1]);
        Fail(handle, backends[0], 4);
        backends[0].OnSuccess();
        Fail(handle, backends[0], 4);
        Assert.Equal("up", State(actor).Backends[0].Health);
        Assert.Equal(["a", "b", "c"], Candidates(handle));
    }

    [Fact]
    public void An_ejection_ends_after_eject_time_and_the_next_one_lasts_twice_as_long()
    {
        var (handle, backends, actor) = Start(weights: [1, 1, 1]);
        Fail(handle, backends[0], 5);
        AwaitCondition(() => Candidates(handle).Length == 2);

        _now += TimeSpan.FromSeconds(9);
        actor.Tell(PoolProtocol.Tick.Instance);
        Assert.Equal("ejected", State(actor).Backends[0].Health);

        _now += TimeSpan.FromSeconds(1);
        EventFilter.Info(contains: "backend a ejected -> up: ejection of 10s ended").ExpectOne(() => actor.Tell(PoolProtocol.Tick.Instance));
        Assert.Equal(["a", "b", "c"], Candidates(handle));

        Fail(handle, backends[0], 5);
        AwaitCondition(() => Candidates(handle).Length == 2);
        _now += TimeSpan.FromSeconds(10);
        actor.Tell(PoolProtocol.Tick.Instance);
        Assert.Equal("ejected", State(actor).Backends[0].Health);
        _now += TimeSpan.FromSeconds(10);
        actor.Tell(PoolProtocol.Tick.Instance);
        Assert.Equal("up", State(actor).Backends[0].Health);
        Assert.Equal(new PoolProtocol.StateChanges(0, 2, 2, 0), State(actor).Backends[0].Changes);
    }

    [Fact]
    public void An_ejection_timer_that_fires_before_the_deadline_waits_out_the_rest_instead_of_leaving_it_to_the_next_tick()
    {
        var (handle, backends, actor) = Start(weights: [1, 1, 1]);
        Fail(handle, backends[0], 5);
        AwaitCondition(() => Candidates(handle).Length == 2);

        // The ejection timer arrives 2 ms before the deadline on the pool's clock, as Akka's scheduler can under load.
        _now += TimeSpan.FromSeconds(10) - TimeSpan.FromMilliseconds(2);
        Scheduler.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("ejected", State(actor).Backends[0].Health);

        // The deadline passes: the ejection ends 2 ms later, not at the next 1 s tick.
        _now += TimeSpan.FromMilliseconds(2);
        EventFilter.Info(contains: "backend a ejected -> up: ejection of 10s ended").ExpectOne(() => Scheduler.Advance(TimeSpan.FromMilliseconds(2)));
        Assert.Equal(["a", "b", "c"], Candidates(handle));
    }

    [Fact]
    public void Max_ejected_keeps_half_the_pool_and_never_ejects_the_last_usable_backend()
    {
        var (handle, backends, actor) = Start(weights: [1, 1]);
        Fail(handle, backends[0], 5);
        AwaitCondition(() => Candidates(handle).Length == 1);
        Fail(handle, backends[1], 20);
        Assert.Equal(["b"], Candidates(handle));
        Assert.Equal("up", State(actor).Backends[1].Health);
    }

    [Fact]
    public void The_failure_rate_rule_ejects_on_the_window_totals()
    {
        var (handle, backends, actor) = Start(weights: [1, 1, 1]);
        for (var i = 0; i < 30; i++)
        {
            backends[1].OnStart();
            backends[1].OnEnd();
            // Alternating, so the consecutive rule never fires: only the rate can eject.
            if (i % 2 == 0) backends[1].OnFailure();
            else backends[1].OnSuccess();
        }
        EventFilter.Warning(contains: "backend b up -> ejected: failure rate 50%").ExpectOne(() => actor.Tell(PoolProtocol.Tick.Instance));
        Assert.Equal(["a", "c"], Candidates(handle));
    }

    [Fact]
    public void Active_checks_need_fall_failures_to_take_down_and_rise_successes_to_restore()
    {
        var (handle, _, actor) = Start(weights: [1, 1]);
        ProbeResult Probe(bool ok) => new(0, "a", ok, ok ? "status 200" : "status 500", TimeSpan.FromMilliseconds(1));

        actor.Tell(Probe(false));
        actor.Tell(Probe(false));
        Assert.Equal("up", State(actor).Backends[0].Health);
        EventFilter.Warning(contains: "backend a up -> down: 3 consecutive failed checks (last: status 500)").ExpectOne(() => actor.Tell(Probe(false)));
        Assert.Equal(["b"], Candidates(handle));

        actor.Tell(Probe(true));
        Assert.Equal("down", State(actor).Backends[0].Health);
        EventFilter.Info(contains: "backend a down -> up").ExpectOne(() => actor.Tell(Probe(true)));
        Assert.Equal(["a", "b"], Candidates(handle));
        Assert.Equal(new PoolProtocol.StateChanges(1, 0, 1, 0), State(actor).Backends[0].Changes);
    }

    [Fact]
    public void Drain_takes_no_new_traffic_and_reports_drain_complete_when_the_last_request_ends()
    {
        var (handle, backends, actor) = Start(weights: [1, 1]);
        Sys.EventStream.Subscribe(TestActor, typeof(PoolProtocol.BackendDrained));
        backends[0].OnStart(); // one request in flight

        actor.Tell(new PoolProtocol.SetAdminState("a", AdminState.Drain));
        Assert.True(ExpectMsg<PoolProtocol.AdminStateResult>().Ok);
        Assert.Equal(["b"], Candidates(handle));
        Scheduler.Advance(TimeSpan.FromMilliseconds(300)); // three drain checks, each finding the request in flight
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        var draining = State(actor).Backends[0];
        Assert.Equal(("drain", false), (draining.Admin, draining.Drained));

        EventFilter.Info(contains: "backend a drain complete").ExpectOne(() =>
        {
            backends[0].OnEnd();
            Scheduler.Advance(TimeSpan.FromMilliseconds(100)); // the next drain check
            Assert.Equal("a", ExpectMsg<PoolProtocol.BackendDrained>(TimeSpan.FromSeconds(3)).BackendId);
        });
        Assert.True(State(actor).Backends[0].Drained);
        Assert.Equal(1, State(actor).Backends[0].Changes.DrainsCompleted);

        actor.Tell(new PoolProtocol.SetAdminState("a", AdminState.Ready));
        Assert.True(ExpectMsg<PoolProtocol.AdminStateResult>().Ok);
        Assert.Equal(["a", "b"], Candidates(handle));
    }

    [Fact]
    public void Maint_takes_nothing_and_an_unknown_backend_is_a_clear_error()
    {
        var (handle, _, actor) = Start(weights: [1, 1]);
        actor.Tell(new PoolProtocol.SetAdminState("b", AdminState.Maint));
        Assert.True(ExpectMsg<PoolProtocol.AdminStateResult>().Ok);
        Assert.Equal(["a"], Candidates(handle));

        actor.Tell(new PoolProtocol.SetAdminState("zz", AdminState.Drain));
        var result = ExpectMsg<PoolProtocol.AdminStateResult>();
        Assert.False(result.Ok);
        Assert.Contains("no backend 'zz'", result.Message);
        Assert.Contains("a, b", result.Message);
    }

    [Fact]
    public void A_backend_configured_in_maint_starts_out_of_rotation()
    {
        var (handle, _, _) = Start(c => c with { Backends = [c.Backends[0], c.Backends[1] with { State = AdminState.Maint }] }, 1, 1);
        Assert.Equal(["a"], Candidates(handle));
    }

    [Fact]
    public void Backends_in_service_when_the_pool_starts_do_not_ramp()
    {
        var (handle, _, _) = Start(c => c with { SlowStart = TimeSpan.FromSeconds(30) }, 3, 1);
        Assert.Equal([3, 1], handle.Snapshot.Weights);
    }

    [Fact]
    public void Slow_start_ramps_a_backend_back_from_maint_and_a_recovered_one()
    {
        var (handle, backends, actor) = Start(c => c with { SlowStart = TimeSpan.FromSeconds(10) }, 1, 1, 1);
        _now += TimeSpan.FromSeconds(20); // past the start-up ramp
        actor.Tell(PoolProtocol.Tick.Instance);
        AwaitCondition(() => handle.Snapshot.Weights.SequenceEqual([1, 1, 1]));

        actor.Tell(new PoolProtocol.SetAdminState("a", AdminState.Maint));
        ExpectMsg<PoolProtocol.AdminStateResult>();
        actor.Tell(new PoolProtocol.SetAdminState("a", AdminState.Ready));
        ExpectMsg<PoolProtocol.AdminStateResult>();
        Assert.Equal([1, 10, 10], handle.Snapshot.Weights); // 10% of a x10 scale next to full weights
        _now += TimeSpan.FromSeconds(5);
        actor.Tell(PoolProtocol.Tick.Instance);
        AwaitCondition(() => handle.Snapshot.Weights[0] == 5);
        _now += TimeSpan.FromSeconds(5);
        actor.Tell(PoolProtocol.Tick.Instance);
        AwaitCondition(() => handle.Snapshot.Weights.SequenceEqual([1, 1, 1]));

        // A recovered backend ramps too.
        Fail(handle, backends[2], 5);
        AwaitCondition(() => Candidates(handle).Length == 2);
        _now += TimeSpan.FromSeconds(10);
        actor.Tell(PoolProtocol.Tick.Instance);
        AwaitCondition(() => Candidates(handle).Length == 3);
        Assert.Equal([10, 10, 1], handle.Snapshot.Weights);
    }

    [Fact]
    public void All_unhealthy_fails_by_default_and_uses_every_ready_backend_in_panic_mode()
    {
        foreach (var mode in new[] { AllUnhealthyMode.Fail, AllUnhealthyMode.UseAll })
        {
            var (handle, _, actor) = Start(c => c with { AllUnhealthy = mode }, 1, 1, 1);
            for (var i = 0; i < 3; i++)
            for (var n = 0; n < 3; n++)
                actor.Tell(new ProbeResult(i, ((char)('a' + i)).ToString(), false, "timeout", TimeSpan.Zero));
            var state = State(actor);
            Assert.All(state.Backends, b => Assert.Equal("down", b.Health));
            if (mode == AllUnhealthyMode.Fail)
            {
                Assert.Empty(Candidates(handle));
                Assert.False(state.Panic);
            }
            else
            {
                Assert.Equal(["a", "b", "c"], Candidates(handle));
                Assert.True(state.Panic);
            }
        }
    }

    [Fact]
    public void Feeds_the_retry_budget_with_the_requests_counted_each_tick()
    {
        var (handle, backends, actor) = Start();
        for (var i = 0; i < 100; i++) backends[i % 2].OnStart();
        actor.Tell(PoolProtocol.Tick.Instance);
        AwaitCondition(() => handle.RetryBudget.RequestsInWindow >= 100);
        // 20% of 100 requests: 20 retries, not more.
        var granted = Enumerable.Range(0, 50).Count(_ => handle.RetryBudget.TryRetry());
        Assert.Equal(20, granted);
    }
}
