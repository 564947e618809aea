using Akka.Actor;
using Akka.TestKit.Xunit2;
using Drover.Node.Hosting;

namespace Drover.Node.Tests.Scheduling;

public sealed class TicklessSchedulerSpec : TestKit
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(10);

    public TicklessSchedulerSpec()
        : base($"akka.scheduler.implementation = \"{TicklessScheduler.ImplementationName}\"")
    {
    }

    // A scheduler of the test's own (not the system's, which Akka itself also uses), so its pending count is exact.
    private (TicklessScheduler Tickless, IScheduler Scheduler) NewScheduler()
    {
        var scheduler = new TicklessScheduler(Sys.Settings.Config, Sys.Log);
        return (scheduler, scheduler);
    }

    [Fact]
    public void Every_node_runs_the_tickless_scheduler()
    {
        var name = AkkaDefaults.Config.GetString("akka.scheduler.implementation");
        Assert.Equal(typeof(TicklessScheduler), Type.GetType(name, throwOnError: true));
        Assert.IsType<TicklessScheduler>(Sys.Scheduler);
    }

    [Fact]
    public void A_message_arrives_after_its_delay_and_its_timer_is_released()
    {
        var (tickless, scheduler) = NewScheduler();
        var probe = CreateTestProbe();

        scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(400), probe.Ref, "due", ActorRefs.NoSender);
        Assert.Equal(1, tickless.PendingCount);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(150)); // a timer never fires early
        probe.ExpectMsg("due", Wait);
        AwaitCondition(() => tickless.PendingCount == 0, Wait);
    }

    [ThreadStatic]
    private static bool t_scheduling;

    [Fact]
    public async Task A_zero_delay_runs_soon_and_not_inside_the_call_that_scheduled_it()
    {
        var (_, scheduler) = NewScheduler();
        var ran = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);

        // Set only on this thread and only during the call: an action run inline would see it.
        t_scheduling = true;
        scheduler.Advanced.ScheduleOnce(TimeSpan.Zero, () => ran.TrySetResult(t_scheduling));
        t_scheduling = false;

        Assert.False(await ran.Task.WaitAsync(Wait), "the action ran inside ScheduleOnce");
    }

    [Fact]
    public void A_repeated_message_keeps_coming_until_cancelled_and_cancelling_releases_its_timer()
    {
        var (tickless, scheduler) = NewScheduler();
        var probe = CreateTestProbe();

        var cancelable = scheduler.ScheduleTellRepeatedlyCancelable(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(30), probe.Ref, "tick", ActorRefs.NoSender);
        for (var i = 0; i < 4; i++) probe.ExpectMsg("tick", Wait);
        cancelable.Cancel();

        Assert.Equal(0, tickless.PendingCount); // released by the cancel itself, not when it would next have fired
        probe.ReceiveWhile(TimeSpan.FromMilliseconds(100), message => message); // one may have been on its way
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void A_delay_longer_than_a_timer_can_be_armed_for_is_taken()
    {
        var (tickless, scheduler) = NewScheduler();
        var probe = CreateTestProbe();

        // .NET timers take at most about 49.7 days; Akka's wheel took any delay, and so must this.
        var cancelable = scheduler.ScheduleTellOnceCancelable(TimeSpan.FromDays(400), probe.Ref, "much later", ActorRefs.NoSender);
        scheduler.ScheduleTellOnce(TimeSpan.MaxValue, probe.Ref, "never", ActorRefs.NoSender);

        Assert.Equal(2, tickless.PendingCount);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        cancelable.Cancel();
        Assert.Equal(1, tickless.PendingCount);
    }

    [Fact]
    public void A_message_cancelled_before_it_is_due_never_arrives()
    {
        var (tickless, scheduler) = NewScheduler();
        var probe = CreateTestProbe();

        var cancelable = scheduler.ScheduleTellOnceCancelable(TimeSpan.FromMilliseconds(200), probe.Ref, "never", ActorRefs.NoSender);
        cancelable.Cancel();

        Assert.Equal(0, tickless.PendingCount);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void Nothing_is_scheduled_with_a_cancelable_already_cancelled()
    {
        var (tickless, scheduler) = NewScheduler();
        var probe = CreateTestProbe();
        var cancelable = new Cancelable((IScheduler)tickless);
        cancelable.Cancel();

        scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(10), probe.Ref, "never", ActorRefs.NoSender, cancelable);

        Assert.Equal(0, tickless.PendingCount);
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
    }

    [Fact]
    public void An_action_that_throws_is_not_repeated()
    {
        var (tickless, scheduler) = NewScheduler();
        var runs = 0;

        scheduler.Advanced.ScheduleRepeatedly(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10), () =>
        {
            Interlocked.Increment(ref runs);
            throw new InvalidOperationException("scheduled work failed");
        });

        AwaitCondition(() => Volatile.Read(ref runs) == 1 && tickless.PendingCount == 0, Wait);
        Thread.Sleep(200);
        Assert.Equal(1, Volatile.Read(ref runs));
    }

    [Fact]
    public void Shutdown_runs_what_is_pending_once_drops_what_was_cancelled_and_refuses_more()
    {
        var (tickless, scheduler) = NewScheduler();
        var probe = CreateTestProbe();
        scheduler.ScheduleTellOnce(TimeSpan.FromHours(1), probe.Ref, "pending", ActorRefs.NoSender);
        scheduler.ScheduleTellRepeatedly(TimeSpan.FromHours(1), TimeSpan.FromHours(1), probe.Ref, "repeating", ActorRefs.NoSender);
        var cancelled = scheduler.ScheduleTellOnceCancelable(TimeSpan.FromHours(1), probe.Ref, "cancelled", ActorRefs.NoSender);
        cancelled.Cancel();

        tickless.Dispose();

        var received = new[] { probe.ExpectMsg<string>(Wait), probe.ExpectMsg<string>(Wait) };
        Assert.Equal(["pending", "repeating"], received.Order());
        probe.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, tickless.PendingCount);
        Assert.Throws<SchedulerException>(() => scheduler.ScheduleTellOnce(TimeSpan.FromMilliseconds(1), probe.Ref, "late", ActorRefs.NoSender));
    }

    [Fact]
    public void Actor_timers_run_on_it()
    {
        var probe = CreateTestProbe();
        var actor = Sys.ActorOf(Props.Create(() => new TimerEcho(probe.Ref)));

        actor.Tell(TimeSpan.FromMilliseconds(50));

        probe.ExpectMsg("timer fired", Wait);
    }

    private sealed class TimerEcho : ReceiveActor, IWithTimers
    {
        public TimerEcho(IActorRef target)
        {
            Receive<TimeSpan>(delay => Timers.StartSingleTimer("t", "fire", delay));
            Receive<string>(_ => target.Tell("timer fired"));
        }

        public ITimerScheduler Timers { get; set; } = null!;
    }
}
