using Akka.Actor;
using Akka.Event;
using Drover.Core.Health;
using Drover.Core.Pools;

namespace Drover.Node.Health;

/// <summary>
/// Runs one backend's active health checks and tells every <see cref="ProbeResult"/> to the actor it
/// reports to (the pool actor, which applies rise/fall). One per backend, a child of the pool actor.
/// </summary>
/// <remarks>
/// The first probe comes at a random point within the first interval's jitter spread (never later than
/// one interval), so backends and nodes started together do not probe in lockstep; each next probe is
/// scheduled <see cref="ActiveHealthConfig.NextDelay"/> after the previous one finished, so probes of one
/// backend never overlap. The probe runs off the actor and comes back by PipeTo; on stop the probe in
/// flight is cancelled and its late result goes nowhere. With checks off the actor never probes.
/// </remarks>
public sealed class HealthCheckActor : ReceiveActor, IWithTimers
{
    private const string ProbeTimer = "probe";

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly ActiveHealthConfig _config;
    private readonly Backend _backend;
    private readonly IActorRef _reportTo;
    private readonly HealthProbe? _probe;
    private readonly CancellationTokenSource _stopping = new();
    private bool _probing;

    public HealthCheckActor(ActiveHealthConfig config, Backend backend, IActorRef reportTo)
    {
        _config = config;
        _backend = backend;
        _reportTo = reportTo;
        _probe = config.Enabled ? HealthProbe.Create(config, backend) : null;

        Receive<Probe>(_ => StartProbe());
        Receive<ProbeFinished>(OnProbeFinished);
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        if (_probe is null) return;
        Timers.StartSingleTimer(ProbeTimer, Probe.Instance, FirstDelay(_config, Random.Shared.NextDouble()));
    }

    protected override void PostStop()
    {
        // Cancelling aborts the probe's socket; its result, if any, arrives at a stopped actor and is dropped.
        _stopping.Cancel();
        _probe?.Dispose();
        _stopping.Dispose();
    }

    private void StartProbe()
    {
        if (_probing || _probe is null) return;
        _probing = true;
        _probe.RunAsync(_stopping.Token).PipeTo(Self,
            success: result => new ProbeFinished(result),
            failure: ex => new ProbeFinished(new ProbeResult(_backend.Ordinal, _backend.Id, false, ProbeText.Describe(ex), TimeSpan.Zero)));
    }

    private void OnProbeFinished(ProbeFinished finished)
    {
        _probing = false;
        var result = finished.Result;
        if (_log.IsDebugEnabled)
            _log.Debug("probe {0}: {1} ({2}) in {3:0.0} ms", _backend, result.Ok ? "ok" : "failed", result.Detail, result.Elapsed.TotalMilliseconds);
        _reportTo.Tell(result);
        Timers.StartSingleTimer(ProbeTimer, Probe.Instance, _config.NextDelay(Random.Shared.NextDouble()));
    }

    /// <summary>
    /// The delay before the first probe: <paramref name="random01"/> times the width of the jitter window
    /// (<c>2 * Jitter * Interval</c>), capped at one interval. With no jitter the first probe runs at once.
    /// </summary>
    internal static TimeSpan FirstDelay(ActiveHealthConfig config, double random01)
    {
        var r = double.IsNaN(random01) ? 0.5 : Math.Clamp(random01, 0, 1);
        var jitter = double.IsNaN(config.Jitter) ? 0 : Math.Clamp(config.Jitter, 0, 1);
        var spread = Math.Min(1, 2 * jitter);
        return TimeSpan.FromTicks((long)(config.Interval.Ticks * spread * r));
    }

    private sealed record Probe
    {
        public static readonly Probe Instance = new();
    }

    /// <summary>A probe's result coming back to this actor; one that outlives the actor is dropped without a dead-letter log.</summary>
    private sealed record ProbeFinished(ProbeResult Result) : IDeadLetterSuppression;

    public static Props Props(ActiveHealthConfig config, Backend backend, IActorRef reportTo) =>
        Akka.Actor.Props.Create(() => new HealthCheckActor(config, backend, reportTo));
}
