using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Configuration;
using Akka.Dispatch;
using Akka.Event;

namespace Drover.Node.Hosting;

/// <summary>
/// Akka's scheduler without a tick. Akka's default (a hashed wheel) wakes every 10 ms whether or not
/// anything is due: on an idle node that cost ~700 context switches a second and 2% of a core, and on
/// a busy one the same wakes preempt the event loops that carry traffic. Here each scheduled message
/// or action is one .NET timer, and the runtime's timer queue sleeps until the earliest is due: the
/// node wakes only for work, a timer fires within about a millisecond of its time (not up to a tick
/// late), and a cancelled one is dropped at once.
/// <para>
/// It keeps the wheel's contract: repeats are at a fixed delay after each run, an action that throws
/// is logged and not repeated, scheduling after shutdown throws <see cref="SchedulerException"/>, and
/// shutdown runs what is still pending once (so asks and timeouts end rather than hang). Messages
/// scheduled separately may arrive in either order when they fall due together, as Akka allows.
/// </para>
/// Selected by <c>akka.scheduler.implementation</c> in <see cref="AkkaDefaults"/>.
/// </summary>
public sealed class TicklessScheduler : SchedulerBase, IDateTimeOffsetNowTimeProvider, IDisposable
{
    /// <summary>The value of <c>akka.scheduler.implementation</c> that selects this scheduler.</summary>
    public const string ImplementationName = "Drover.Node.Hosting.TicklessScheduler, Drover.Node";

    // Roots the pending timers (a Timer nothing references may be collected) and lets shutdown find them.
    private readonly ConcurrentDictionary<Scheduled, byte> _pending = new();
    private volatile bool _stopped;

    // Akka's monotonic clock is internal: its readings come through a wheel that is never started (a wheel
    // starts its thread on its first schedule), so they match what the rest of Akka reads.
    private readonly HashedWheelTimerScheduler _clock;

    public TicklessScheduler(Config scheduler, ILoggingAdapter log) : base(scheduler, log)
    {
        _clock = new HashedWheelTimerScheduler(scheduler, log);
    }

    protected override DateTimeOffset TimeNow => DateTimeOffset.Now;

    public override TimeSpan MonotonicClock => _clock.MonotonicClock;

    public override TimeSpan HighResMonotonicClock => _clock.HighResMonotonicClock;

    /// <summary>Timers not yet fired, cancelled or finished (for tests and diagnostics).</summary>
    public int PendingCount => _pending.Count;

    protected override void InternalScheduleTellOnce(TimeSpan delay, ICanTell receiver, object message, IActorRef sender, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleTellRepeatedly(TimeSpan initialDelay, TimeSpan interval, ICanTell receiver, object message, IActorRef sender,
        ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ScheduledTell(receiver, message, sender), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, Action action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, new ScheduledAction(action), cancelable);

    protected override void InternalScheduleOnce(TimeSpan delay, IRunnable action, ICancelable cancelable) =>
        Schedule(delay, TimeSpan.Zero, action, cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, Action action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, new ScheduledAction(action), cancelable);

    protected override void InternalScheduleRepeatedly(TimeSpan initialDelay, TimeSpan interval, IRunnable action, ICancelable cancelable) =>
        Schedule(initialDelay, interval, action, cancelable);

    private void Schedule(TimeSpan delay, TimeSpan interval, IRunnable action, ICancelable? cancelable)
    {
        if (_stopped) throw new SchedulerException("cannot schedule after the scheduler shut down");
        if (cancelable is { IsCancellationRequested: true }) return;
        var entry = new Scheduled(this, action, interval, cancelable);
        _pending.TryAdd(entry, 0);
        if (_stopped && _pending.TryRemove(entry, out _))
        {
            // Shutdown began meanwhile and did not see this one.
            entry.Dispose();
            throw new SchedulerException("cannot schedule after the scheduler shut down");
        }
        entry.Start(delay);
    }

    /// <summary>Stops: pending timers are dropped and what they would have run runs once now, as Akka's wheel does at shutdown.</summary>
    public void Dispose()
    {
        if (_stopped) return;
        _stopped = true;
        foreach (var entry in _pending.Keys) entry.RunAtShutdown();
    }

    /// <summary>One scheduled message or action and its timer.</summary>
    private sealed class Scheduled
    {
        // The longest a .NET timer is armed for (about 49.7 days); a longer delay is armed in steps.
        private static readonly TimeSpan MaxArm = TimeSpan.FromMilliseconds(uint.MaxValue - 1);

        private readonly TicklessScheduler _owner;
        private readonly IRunnable _action;
        private readonly TimeSpan _interval; // zero: once
        private readonly ICancelable? _cancelable;
        private readonly Timer _timer;
        private CancellationTokenRegistration _onCancel;
        private int _finished;
        // When a delay longer than one timer can be armed for is really due (Environment.TickCount64), else 0.
        private long _dueAt;

        public Scheduled(TicklessScheduler owner, IRunnable action, TimeSpan interval, ICancelable? cancelable)
        {
            _owner = owner;
            _action = action;
            _interval = interval;
            _cancelable = cancelable;
            // Created stopped, and without the caller's ExecutionContext: scheduled work runs as the wheel ran it, with none.
            if (ExecutionContext.IsFlowSuppressed())
            {
                _timer = new Timer(static state => ((Scheduled)state!).Fire(), this, Timeout.Infinite, Timeout.Infinite);
            }
            else
            {
                using (ExecutionContext.SuppressFlow())
                    _timer = new Timer(static state => ((Scheduled)state!).Fire(), this, Timeout.Infinite, Timeout.Infinite);
            }
        }

        public void Start(TimeSpan delay)
        {
            // Registered before the timer runs, so a fire never sees the registration half written.
            if (_cancelable is not null) _onCancel = _cancelable.Token.UnsafeRegister(static state => ((Scheduled)state!).Finish(), this);
            Arm(delay);
        }

        private void Arm(TimeSpan delay)
        {
            _dueAt = 0;
            if (delay > MaxArm)
            {
                _dueAt = Environment.TickCount64 + (long)delay.TotalMilliseconds;
                delay = MaxArm;
            }
            try
            {
                _timer.Change(delay, Timeout.InfiniteTimeSpan);
            }
            catch (ObjectDisposedException)
            {
                // cancelled meanwhile
            }
        }

        private void Fire()
        {
            if (Volatile.Read(ref _finished) != 0) return;
            if (_dueAt != 0 && _dueAt - Environment.TickCount64 is > 0 and var left)
            {
                Arm(TimeSpan.FromMilliseconds(left)); // a long delay's next step
                return;
            }
            if (_cancelable is { IsCancellationRequested: true })
            {
                Finish();
                return;
            }
            if (!Run()) return;
            if (_interval > TimeSpan.Zero && Volatile.Read(ref _finished) == 0) Arm(_interval);
            else Finish();
        }

        /// <summary>Runs the action; false (and finished) when it threw.</summary>
        private bool Run()
        {
            try
            {
                _action.Run();
                return true;
            }
            catch (SchedulerException)
            {
                Finish(); // a tell to a system that is shutting down
                return false;
            }
            catch (Exception ex)
            {
                Finish();
                _owner.Log.Error(ex, "Error while executing scheduled task {0}", _action);
                return false;
            }
        }

        public void RunAtShutdown()
        {
            if (Finish() && _cancelable is not { IsCancellationRequested: true }) Run();
        }

        /// <summary>Releases the timer and leaves the pending set, once; false if already finished.</summary>
        private bool Finish()
        {
            if (Interlocked.Exchange(ref _finished, 1) != 0) return false;
            _owner._pending.TryRemove(this, out _);
            Dispose();
            return true;
        }

        public void Dispose()
        {
            Volatile.Write(ref _finished, 1);
            _timer.Dispose();
            _onCancel.Unregister(); // not Dispose: this may run inside that very callback
        }
    }

    private sealed class ScheduledTell(ICanTell receiver, object message, IActorRef sender) : IRunnable
    {
        public void Run() => receiver.Tell(message, sender);

        public void Execute() => Run();

        public override string ToString() => $"[{receiver}.Tell({message}, {sender})]";
    }

    private sealed class ScheduledAction(Action action) : IRunnable
    {
        public void Run() => action();

        public void Execute() => Run();

        public override string ToString() => $"[{action.Method.DeclaringType?.Name}.{action.Method.Name}]";
    }
}
