using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

/// <summary>Time is a plain TimeSpan the test advances: the state machine never reads a clock.</summary>
public class BackendHealthTests
{
    private static readonly HealthConfig Checked = new(ActiveHealthConfig.HttpDefaults, PassiveHealthConfig.Default);

    private static TimeSpan S(double seconds) => TimeSpan.FromSeconds(seconds);

    private static BackendHealth New(HealthConfig? config = null, double at = 100) => new(config ?? Checked, S(at));

    private static HealthTransition? Probes(BackendHealth h, bool ok, int count, double at, string detail = "status 500")
    {
        HealthTransition? last = null;
        for (var i = 0; i < count; i++)
        {
            var t = h.OnProbe(ok, ok ? "status 200" : detail, S(at + i));
            if (t is not null)
            {
                Assert.Null(last); // one transition per streak, never two
                last = t;
            }
        }
        return last;
    }

    /// <summary>Five failures in a row at <paramref name="at"/>: the consecutive rule's default threshold.</summary>
    private static HealthTransition Eject(BackendHealth h, double at)
    {
        for (var i = 0; i < 4; i++) Assert.Null(h.OnFailure("connect refused", S(at), allowEject: true));
        var t = h.OnFailure("connect refused", S(at), allowEject: true);
        Assert.NotNull(t);
        return t;
    }

    // ---- construction

    [Fact]
    public void StartsUpAndUsableSinceConstruction()
    {
        var h = New(at: 42);
        Assert.Equal(BackendHealthStatus.Up, h.Status);
        Assert.True(h.IsUsable);
        Assert.Equal(S(42), h.UsableSince);
        Assert.Equal(0, h.Ejections);
        Assert.Null(h.EjectedUntil);
        Assert.Null(h.LastTransition);
    }

    // ---- active checks

    [Fact]
    public void Active_FallMinusOneFailuresKeepItUp()
    {
        var h = New();
        Assert.Null(Probes(h, ok: false, count: 2, at: 101));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
        Assert.True(h.ActiveUp);
    }

    [Fact]
    public void Active_FallFailuresTakeItDownNamingTheCountAndLastDetail()
    {
        var h = New();
        h.OnProbe(false, "timeout", S(101));
        h.OnProbe(false, "connect refused", S(103));
        var t = h.OnProbe(false, "status 500", S(105));

        Assert.Equal(new HealthTransition(BackendHealthStatus.Up, BackendHealthStatus.Down, "3 consecutive failed checks (last: status 500)"), t);
        Assert.Equal(BackendHealthStatus.Down, h.Status);
        Assert.False(h.IsUsable);
        Assert.Same(t, h.LastTransition);
    }

    [Fact]
    public void Active_AGoodProbeInBetweenResetsTheFailedStreak()
    {
        var h = New();
        Assert.Null(Probes(h, ok: false, count: 2, at: 101));
        Assert.Null(h.OnProbe(true, "status 200", S(103)));
        Assert.Null(Probes(h, ok: false, count: 2, at: 104));
        Assert.Equal(BackendHealthStatus.Up, h.Status);

        Assert.NotNull(h.OnProbe(false, "status 503", S(106)));
        Assert.Equal(BackendHealthStatus.Down, h.Status);
    }

    [Fact]
    public void Active_RiseMinusOneGoodProbesKeepItDownRiseBringsItUp()
    {
        var h = New();
        Probes(h, ok: false, count: 3, at: 101);

        Assert.Null(h.OnProbe(true, "status 200", S(110)));
        Assert.Equal(BackendHealthStatus.Down, h.Status);
        Assert.Equal(S(100), h.UsableSince);

        var t = h.OnProbe(true, "status 200", S(112));
        Assert.Equal(new HealthTransition(BackendHealthStatus.Down, BackendHealthStatus.Up, "2 consecutive good checks"), t);
        Assert.True(h.IsUsable);
        Assert.Equal(S(112), h.UsableSince);
    }

    [Fact]
    public void Active_AFailedProbeInBetweenResetsTheGoodStreak()
    {
        var h = New();
        Probes(h, ok: false, count: 3, at: 101);

        Assert.Null(h.OnProbe(true, "status 200", S(110)));
        Assert.Null(h.OnProbe(false, "status 500", S(111)));
        Assert.Null(h.OnProbe(true, "status 200", S(112)));
        Assert.Equal(BackendHealthStatus.Down, h.Status);
        Assert.NotNull(h.OnProbe(true, "status 200", S(113)));
    }

    [Fact]
    public void Active_EachTransitionIsReturnedExactlyOnce()
    {
        var h = New();
        Assert.NotNull(Probes(h, ok: false, count: 10, at: 101)); // Probes asserts a single transition in the run
        Assert.NotNull(Probes(h, ok: true, count: 10, at: 120));
        Assert.Null(Probes(h, ok: true, count: 5, at: 140));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
    }

    [Fact]
    public void Active_RiseAndFallOfOneUseTheSingular()
    {
        var h = New(Checked with { Active = ActiveHealthConfig.HttpDefaults with { Rise = 1, Fall = 1 } });
        Assert.Equal("1 failed check (last: timeout)", h.OnProbe(false, "timeout", S(101))?.Reason);
        Assert.Equal("1 good check", h.OnProbe(true, "status 200", S(102))?.Reason);
    }

    // ---- passive: consecutive failures

    [Fact]
    public void Consecutive_FourFailuresASuccessAndFourMoreDoNotEject()
    {
        var h = New();
        for (var i = 0; i < 4; i++) Assert.Null(h.OnFailure("connect refused", S(101), true));
        h.OnSuccesses(1);
        Assert.Equal(0, h.ConsecutiveFailures);
        for (var i = 0; i < 4; i++) Assert.Null(h.OnFailure("connect refused", S(102), true));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
        Assert.Equal(4, h.ConsecutiveFailures);
    }

    [Fact]
    public void Consecutive_ZeroSuccessesDoNotBreakTheStreak()
    {
        var h = New();
        for (var i = 0; i < 4; i++) h.OnFailure("reset", S(101), true);
        h.OnSuccesses(0);
        Assert.NotNull(h.OnFailure("reset", S(101), true));
    }

    [Fact]
    public void Consecutive_FiveInARowEjectForEjectTime()
    {
        var h = New();
        var t = Eject(h, at: 101);

        Assert.Equal(BackendHealthStatus.Up, t.From);
        Assert.Equal(BackendHealthStatus.Ejected, t.To);
        Assert.Equal("5 consecutive failures (last: connect refused); ejected for 10s", t.Reason);
        Assert.Equal(BackendHealthStatus.Ejected, h.Status);
        Assert.False(h.IsUsable);
        Assert.Equal(S(111), h.EjectedUntil);
        Assert.Equal(1, h.Ejections);
    }

    [Fact]
    public void Consecutive_TheEjectionEndsOnTheFirstTickAtOrAfterItsEnd()
    {
        var h = New();
        Eject(h, at: 101);

        Assert.Null(h.OnTick(S(101)));
        Assert.Null(h.OnTick(S(110.999)));
        Assert.Equal(BackendHealthStatus.Ejected, h.Status);

        var t = h.OnTick(S(111));
        Assert.Equal(new HealthTransition(BackendHealthStatus.Ejected, BackendHealthStatus.Up, "ejection of 10s ended"), t);
        Assert.True(h.IsUsable);
        Assert.Null(h.EjectedUntil);
        Assert.Equal(S(111), h.UsableSince);
        Assert.Null(h.OnTick(S(112)));
    }

    [Fact]
    public void Consecutive_EachFurtherEjectionDoublesUpToMaxEjectTime()
    {
        var h = New();
        var expected = new[] { 10, 20, 40, 80, 160, 300, 300, 300 };
        var text = new[] { "10s", "20s", "40s", "1m20s", "2m40s", "5m", "5m", "5m" };
        var now = 101.0;
        for (var n = 0; n < expected.Length; n++)
        {
            var t = Eject(h, now);
            Assert.Equal(n + 1, h.Ejections);
            Assert.Equal(S(now + expected[n]), h.EjectedUntil);
            Assert.EndsWith($"ejected for {text[n]}", t.Reason);
            now += expected[n];
            Assert.NotNull(h.OnTick(S(now)));
            now += 30; // back for a while, then failing again
        }
    }

    [Fact]
    public void Consecutive_StayingUpForMaxEjectTimeForgivesPastEjections()
    {
        var h = New();
        Eject(h, 101);
        h.OnTick(S(111));
        Eject(h, 120);                       // second: 20s
        Assert.Equal(S(140), h.EjectedUntil);
        h.OnTick(S(140));

        // Up for just under 5 minutes: the backoff still holds (third: 40s).
        var almost = 140 + 299.0;
        Eject(h, almost);
        Assert.Equal(3, h.Ejections);
        Assert.Equal(S(almost + 40), h.EjectedUntil);
        h.OnTick(S(almost + 40));

        // Up for 5 minutes: forgiven, the next ejection is the base time again.
        var later = almost + 40 + 300;
        Assert.Null(h.OnTick(S(later)));
        Assert.Equal(0, h.Ejections);
        Eject(h, later);
        Assert.Equal(1, h.Ejections);
        Assert.Equal(S(later + 10), h.EjectedUntil);
    }

    [Fact]
    public void Consecutive_NotAllowedToEjectCountsButDoesNotEject()
    {
        var h = New();
        for (var i = 0; i < 7; i++) Assert.Null(h.OnFailure("timeout", S(101), allowEject: false));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
        Assert.Equal(7, h.ConsecutiveFailures);
        Assert.Equal(0, h.Ejections);

        // Room again in the pool: the next failure ejects at once.
        var t = h.OnFailure("timeout", S(102), allowEject: true);
        Assert.Equal("8 consecutive failures (last: timeout); ejected for 10s", t?.Reason);
    }

    [Fact]
    public void Consecutive_ZeroTurnsTheRuleOff()
    {
        var h = New(Checked with { Passive = PassiveHealthConfig.Default with { ConsecutiveFailures = 0 } });
        for (var i = 0; i < 100; i++) Assert.Null(h.OnFailure("reset", S(101), true));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
    }

    [Fact]
    public void Consecutive_FailuresWhileEjectedNeitherExtendNorCarryOver()
    {
        var h = New();
        Eject(h, 101);
        for (var i = 0; i < 10; i++) Assert.Null(h.OnFailure("reset", S(105), true)); // requests that were in flight
        Assert.Equal(S(111), h.EjectedUntil);

        h.OnTick(S(111));
        for (var i = 0; i < 4; i++) Assert.Null(h.OnFailure("reset", S(112), true));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
    }

    // ---- passive: failure rate

    [Fact]
    public void Rate_BelowMinRequestsDoesNothing()
    {
        var h = New();
        Assert.Null(h.OnWindow(19, 19, S(101), true));
        Assert.Null(h.OnWindow(0, 0, S(101), true));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
    }

    [Fact]
    public void Rate_BelowTheThresholdDoesNothing()
    {
        var h = New();
        Assert.Null(h.OnWindow(50, 24, S(101), true));
        Assert.Null(h.OnWindow(1000, 499, S(102), true));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
    }

    [Fact]
    public void Rate_AtTheThresholdEjects()
    {
        var h = New();
        var t = h.OnWindow(50, 25, S(101), true);
        Assert.Equal(new HealthTransition(BackendHealthStatus.Up, BackendHealthStatus.Ejected, "failure rate 50% over 10s (25 of 50); ejected for 10s"), t);
        Assert.Equal(S(111), h.EjectedUntil);
        Assert.Equal(1, h.Ejections);
    }

    [Fact]
    public void Rate_AboveTheThresholdEjectsWithTheRateInTheReason()
    {
        var h = New();
        Assert.StartsWith("failure rate 62% over 10s (31 of 50)", h.OnWindow(50, 31, S(101), true)?.Reason);
        Assert.Null(h.OnWindow(50, 50, S(102), true)); // already ejected: reported once
    }

    [Fact]
    public void Rate_ZeroTurnsTheRuleOff()
    {
        var h = New(Checked with { Passive = PassiveHealthConfig.Default with { FailureRate = 0 } });
        Assert.Null(h.OnWindow(1000, 1000, S(101), true));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
    }

    [Fact]
    public void Rate_NotAllowedToEjectDoesNotEject()
    {
        var h = New();
        Assert.Null(h.OnWindow(100, 100, S(101), allowEject: false));
        Assert.Equal(BackendHealthStatus.Up, h.Status);
        Assert.NotNull(h.OnWindow(100, 100, S(102), allowEject: true));
    }

    [Fact]
    public void Rate_AfterAShortEjectionWaitsForTheOldFailuresToLeaveTheWindow()
    {
        var h = New(Checked with { Passive = PassiveHealthConfig.Default with { EjectTime = S(2) } });
        Assert.NotNull(h.OnWindow(50, 50, S(100), true));
        Assert.NotNull(h.OnTick(S(102)));

        // The caller's 10 s window still holds the failures from before the ejection.
        Assert.Null(h.OnWindow(50, 50, S(103), true));
        Assert.Null(h.OnWindow(50, 50, S(109.9), true));
        Assert.True(h.IsUsable);

        // The consecutive rule is not held back meanwhile.
        var fresh = New(Checked with { Passive = PassiveHealthConfig.Default with { EjectTime = S(2) } });
        fresh.OnWindow(50, 50, S(100), true);
        fresh.OnTick(S(102));
        Assert.NotNull(Eject(fresh, 103));

        // A full window after the ejection began, the rule applies again (second ejection: 4 s).
        var t = h.OnWindow(50, 50, S(110), true);
        Assert.NotNull(t);
        Assert.Equal(S(114), h.EjectedUntil);
    }

    // ---- ejection and active checks together

    [Fact]
    public void Interplay_GoodProbesDoNotCutAnEjectionShort()
    {
        var h = New();
        Eject(h, 101);
        Assert.Null(Probes(h, ok: true, count: 5, at: 102));
        Assert.Equal(BackendHealthStatus.Ejected, h.Status);
        Assert.Equal(BackendHealthStatus.Up, h.OnTick(S(111))?.To);
    }

    [Fact]
    public void Interplay_AFailedStreakDuringAnEjectionMakesItDownWhenTheEjectionEnds()
    {
        var h = New();
        Eject(h, 101);
        Assert.Null(Probes(h, ok: false, count: 3, at: 102, detail: "timeout"));
        Assert.Equal(BackendHealthStatus.Ejected, h.Status);
        Assert.False(h.ActiveUp);

        var t = h.OnTick(S(111));
        Assert.Equal(new HealthTransition(BackendHealthStatus.Ejected, BackendHealthStatus.Down,
            "ejection of 10s ended; active checks down: 3 consecutive failed checks (last: timeout)"), t);
        Assert.Equal(S(100), h.UsableSince);

        // Only rise good checks bring it back, and then slow start begins.
        Assert.Null(h.OnProbe(true, "status 200", S(112)));
        Assert.Equal(BackendHealthStatus.Up, h.OnProbe(true, "status 200", S(114))?.To);
        Assert.Equal(S(114), h.UsableSince);
    }

    [Fact]
    public void Interplay_ChecksThatFailedAndRecoveredDuringAnEjectionEndUp()
    {
        var h = New();
        Eject(h, 101);
        Probes(h, ok: false, count: 3, at: 102);
        Probes(h, ok: true, count: 2, at: 105);
        Assert.True(h.ActiveUp);
        Assert.Equal(BackendHealthStatus.Up, h.OnTick(S(111))?.To);
    }

    [Fact]
    public void Interplay_ADownBackendIsNotEjected()
    {
        var h = New();
        Probes(h, ok: false, count: 3, at: 101);
        for (var i = 0; i < 10; i++) Assert.Null(h.OnFailure("reset", S(104), true)); // panic-mode traffic
        Assert.Null(h.OnWindow(100, 100, S(104), true));
        Assert.Null(h.OnTick(S(200)));
        Assert.Equal(BackendHealthStatus.Down, h.Status);
        Assert.Equal(0, h.Ejections);
    }

    [Fact]
    public void Interplay_ActiveChecksTakeAnUpBackendDownDespiteRecentPassiveFailures()
    {
        var h = New();
        for (var i = 0; i < 4; i++) h.OnFailure("reset", S(101), true);
        Assert.Equal(BackendHealthStatus.Down, Probes(h, ok: false, count: 3, at: 102)?.To);
        Assert.Equal(0, h.ConsecutiveFailures);
    }
}
