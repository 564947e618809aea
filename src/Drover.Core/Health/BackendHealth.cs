namespace Drover.Core.Health;

/// <summary>
/// One backend's health, owned by one actor (single-threaded, no locks). Every method takes the
/// current time; nothing here reads a clock or starts a timer. Each status change is returned once,
/// by the call that caused it, with its reason; a call that changes nothing returns null.
/// </summary>
/// <remarks>
/// Two independent verdicts make the status:
/// <list type="bullet">
/// <item>Active checks (rise/fall hysteresis) say up or down. Down needs <c>fall</c> failed checks in a
/// row, up again needs <c>rise</c> good ones; a single probe of the other kind resets the streak.</item>
/// <item>Passive outlier detection ejects an Up backend for a while (consecutive failures or failure rate).</item>
/// </list>
/// Choices:
/// <list type="bullet">
/// <item>While Ejected, probes are still recorded, but a good streak does not cut the ejection short
/// (the data path saw real faults that a probe may not reproduce). When the ejection ends the backend
/// goes to whatever the active checks say then: Up, or Down if a failed streak reached <c>fall</c>
/// during the ejection.</item>
/// <item>Only an Up backend is ejected or counts passive failures: a Down one is out already and the
/// active checks decide its return; failures reported while Ejected (requests that were in flight)
/// neither extend the ejection nor carry over. The consecutive count starts from zero after an
/// ejection and after every recovery.</item>
/// <item>Ejections end only in <see cref="OnTick"/>; the owner ticks regularly (e.g. each second) or
/// schedules a tick at <see cref="EjectedUntil"/>.</item>
/// <item>Backoff: the n-th ejection lasts <c>EjectTime * 2^(n-1)</c>, capped at <c>MaxEjectTime</c>.
/// <see cref="Ejections"/> resets to 0 once the backend has been Up without interruption for
/// <c>MaxEjectTime</c> (checked by every call that takes the time), so a backend that keeps failing
/// soon after each return is kept out longer and longer, while one that fails rarely gets the base time.</item>
/// <item>After a recovery the failure-rate rule waits until <c>Window</c> has passed since the backend
/// stopped being Up, so failures from before the ejection, still in the caller's window totals, do not
/// eject it again at once (with <c>EjectTime &gt;= Window</c> there is no wait at all). The
/// consecutive rule covers that gap.</item>
/// </list>
/// </remarks>
public sealed class BackendHealth
{
    private ActiveHealthConfig _active;
    private PassiveHealthConfig _passive;

    private bool _activeUp = true;
    private int _goodChecks;
    private int _badChecks;
    private string _activeDownReason = "";
    private int _consecutiveFailures;
    private TimeSpan _ejectionLength;
    private TimeSpan _rateRuleFrom;

    public BackendHealth(HealthConfig config, TimeSpan now)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _active = config.Active;
        _passive = config.Passive;
        UsableSince = now;
        // A new backend has no history in the caller's window, so the rate rule applies from the start.
        _rateRuleFrom = now;
    }

    public HealthConfig Config { get; private set; }

    /// <summary>
    /// A reload changed the pool's health settings: the new thresholds apply from the next call; the
    /// status, streaks and ejection count stay, so an up backend stays up and a down one still needs
    /// <c>rise</c> good checks (the new <c>rise</c>) to return.
    /// </summary>
    public void Reconfigure(HealthConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        Config = config;
        _active = config.Active;
        _passive = config.Passive;
    }

    public BackendHealthStatus Status { get; private set; } = BackendHealthStatus.Up;

    public bool IsUsable => Status == BackendHealthStatus.Up;

    /// <summary>When the backend last became Up (construction time initially): slow start ramps from here.</summary>
    public TimeSpan UsableSince { get; private set; }

    /// <summary>Ejections since the backend was last forgiven (Up for <c>MaxEjectTime</c> without interruption); drives the backoff.</summary>
    public int Ejections { get; private set; }

    /// <summary>When the current ejection ends; null unless Ejected.</summary>
    public TimeSpan? EjectedUntil { get; private set; }

    /// <summary>What the active checks alone say, whatever the ejection state.</summary>
    public bool ActiveUp => _activeUp;

    /// <summary>Backend faults in a row counted toward the consecutive rule.</summary>
    public int ConsecutiveFailures => _consecutiveFailures;

    /// <summary>The most recent transition (for status pages); null while the backend has never changed.</summary>
    public HealthTransition? LastTransition { get; private set; }

    /// <summary>One active check's result; <paramref name="detail"/> says what happened (e.g. "status 500", "timeout").</summary>
    public HealthTransition? OnProbe(bool ok, string detail, TimeSpan now)
    {
        Forgive(now);
        if (ok)
        {
            _badChecks = 0;
            if (_goodChecks < int.MaxValue) _goodChecks++;
            if (_activeUp || _goodChecks < Math.Max(1, _active.Rise)) return null;

            _activeUp = true;
            _activeDownReason = "";
            // While Ejected the ejection runs its course; OnTick then finds the checks good.
            return Status == BackendHealthStatus.Down
                ? BecomeUp(now, HealthText.Count(_goodChecks, "good check", "consecutive good checks"))
                : null;
        }

        _goodChecks = 0;
        if (_badChecks < int.MaxValue) _badChecks++;
        if (!_activeUp || _badChecks < Math.Max(1, _active.Fall)) return null;

        _activeUp = false;
        _activeDownReason = $"{HealthText.Count(_badChecks, "failed check", "consecutive failed checks")} (last: {detail})";
        return Status == BackendHealthStatus.Up
            ? LeaveUp(BackendHealthStatus.Down, now, _activeDownReason)
            : null;
    }

    /// <summary>
    /// One backend fault seen by the data path (connect failure, reset, timeout, 5xx); the caller
    /// reports only faults that are the backend's. <paramref name="allowEject"/> is false when the pool
    /// already has as many backends ejected as it may (<see cref="MaxEjected"/>): then nothing is
    /// ejected but the failure still counts, so the next allowed failure ejects at once.
    /// </summary>
    /// <param name="streak">The data path's own count of this failure streak, when it has one: reports
    /// sent from different threads may arrive out of order, so the streak is the highest seen, not the
    /// number of reports.</param>
    public HealthTransition? OnFailure(string detail, TimeSpan now, bool allowEject, int streak = 0)
    {
        Forgive(now);
        if (Status != BackendHealthStatus.Up) return null;
        if (streak > 0) _consecutiveFailures = Math.Max(_consecutiveFailures, streak);
        else if (_consecutiveFailures < int.MaxValue) _consecutiveFailures++;
        if (!_passive.ConsecutiveRuleEnabled || _consecutiveFailures < _passive.ConsecutiveFailures || !allowEject)
            return null;
        return Eject(now, $"{HealthText.Count(_consecutiveFailures, "failure", "consecutive failures")} (last: {detail})");
    }

    /// <summary>
    /// Successes counted by the data path since the last call; any success breaks the failure streak.
    /// (Batched, so a success and a failure close together may be seen in either order.)
    /// </summary>
    public void OnSuccesses(long count)
    {
        if (count > 0) _consecutiveFailures = 0;
    }

    /// <summary>
    /// The failure-rate rule, evaluated by the caller (e.g. once per second) with the totals over the
    /// last <c>Window</c>: ejects when <c>requests &gt;= MinRequests</c> and <c>failures / requests &gt;= FailureRate</c>.
    /// </summary>
    public HealthTransition? OnWindow(long requests, long failures, TimeSpan now, bool allowEject)
    {
        Forgive(now);
        if (!_passive.RateRuleEnabled || Status != BackendHealthStatus.Up || now < _rateRuleFrom) return null;
        if (requests <= 0 || requests < _passive.MinRequests) return null;

        failures = Math.Clamp(failures, 0, requests);
        var rate = (double)failures / requests;
        if (rate < _passive.FailureRate || !allowEject) return null;
        return Eject(now, $"failure rate {HealthText.Percent(rate)} over {HealthText.Duration(_passive.Window)} ({failures} of {requests})");
    }

    /// <summary>Time passing: ends a due ejection, to Up, or to Down when the active checks say down.</summary>
    public HealthTransition? OnTick(TimeSpan now)
    {
        Forgive(now);
        if (Status != BackendHealthStatus.Ejected || EjectedUntil is not { } until || now < until) return null;

        EjectedUntil = null;
        var ended = $"ejection of {HealthText.Duration(_ejectionLength)} ended";
        return _activeUp
            ? BecomeUp(now, ended)
            : Change(BackendHealthStatus.Down, $"{ended}; active checks down: {_activeDownReason}");
    }

    /// <summary>How long the <paramref name="ejection"/>-th ejection lasts: doubling from EjectTime, capped at MaxEjectTime.</summary>
    public TimeSpan EjectionLength(int ejection)
    {
        var first = _passive.EjectTime <= TimeSpan.Zero ? TimeSpan.Zero : _passive.EjectTime;
        var cap = _passive.MaxEjectTime < first ? first : _passive.MaxEjectTime;
        var shift = Math.Clamp(ejection - 1, 0, 62);
        // Compare before shifting so a long history cannot overflow.
        return first.Ticks > cap.Ticks >> shift ? cap : TimeSpan.FromTicks(first.Ticks << shift);
    }

    private HealthTransition Eject(TimeSpan now, string reason)
    {
        if (Ejections < int.MaxValue) Ejections++;
        _ejectionLength = EjectionLength(Ejections);
        EjectedUntil = now + _ejectionLength;
        return LeaveUp(BackendHealthStatus.Ejected, now, $"{reason}; ejected for {HealthText.Duration(_ejectionLength)}");
    }

    private HealthTransition LeaveUp(BackendHealthStatus to, TimeSpan now, string reason)
    {
        _consecutiveFailures = 0;
        // The caller's window totals hold this period's failures until a full window has passed.
        _rateRuleFrom = now + (_passive.Window > TimeSpan.Zero ? _passive.Window : TimeSpan.Zero);
        return Change(to, reason);
    }

    private HealthTransition BecomeUp(TimeSpan now, string reason)
    {
        UsableSince = now;
        _consecutiveFailures = 0;
        return Change(BackendHealthStatus.Up, reason);
    }

    private HealthTransition Change(BackendHealthStatus to, string reason)
    {
        var transition = new HealthTransition(Status, to, reason);
        Status = to;
        LastTransition = transition;
        return transition;
    }

    // Envoy-style forgiveness, simplified: a backend Up for MaxEjectTime without interruption starts over.
    private void Forgive(TimeSpan now)
    {
        if (Ejections > 0 && Status == BackendHealthStatus.Up && now - UsableSince >= _passive.MaxEjectTime)
            Ejections = 0;
    }
}
