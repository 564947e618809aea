using Drover.Core.Configuration;
using Drover.Core.Net;
using Drover.Core.Pools;

namespace Drover.Core.Tests.Pools;

/// <summary>Backend.TryStart's limit, the failure streak, and the wait queue's wake-ups.</summary>
public sealed class BackendSlotsTests
{
    private static Backend NewBackend() => new("p", new BackendConfig("a", new HostPort("127.0.0.1", 1)));

    [Fact]
    public void TryStart_never_lets_more_than_the_limit_in_even_under_contention()
    {
        var backend = NewBackend();
        var inside = 0;
        var most = 0;
        Parallel.For(0, 200_000, new ParallelOptions { MaxDegreeOfParallelism = 4 }, _ =>
        {
            if (!backend.TryStart(3)) return;
            var now = Interlocked.Increment(ref inside);
            int seen;
            while ((seen = Volatile.Read(ref most)) < now && Interlocked.CompareExchange(ref most, now, seen) != seen) { }
            Interlocked.Decrement(ref inside);
            backend.OnEnd();
        });
        Assert.InRange(most, 1, 3);
        Assert.Equal(0, backend.Active);
    }

    [Fact]
    public void TryStart_without_a_limit_always_starts_and_counts_the_request()
    {
        var backend = NewBackend();
        for (var i = 0; i < 10; i++) Assert.True(backend.TryStart(0));
        Assert.Equal((10L, 10L), (backend.Active, backend.Requests));

        var limited = NewBackend();
        Assert.True(limited.TryStart(1));
        Assert.False(limited.TryStart(1)); // full: nothing counted
        Assert.Equal((1L, 1L), (limited.Active, limited.Requests));
    }

    [Fact]
    public void The_failure_streak_grows_with_failures_and_ends_on_a_success()
    {
        var backend = NewBackend();
        Assert.Equal(1, backend.OnFailure());
        Assert.Equal(2, backend.OnFailure());
        backend.OnSuccess();
        Assert.Equal(0, backend.FailureStreak);
        Assert.Equal(1, backend.OnFailure());
        backend.ResetFailureStreak();
        Assert.Equal(0, backend.FailureStreak);
        Assert.Equal(3, backend.Failures);
    }

    [Fact]
    public void A_streak_that_ends_starts_a_new_generation_and_a_reset_leaves_a_newer_streak_alone()
    {
        var backend = NewBackend();
        backend.OnSuccess();                                   // no streak: nothing ends
        Assert.Equal(0, backend.FailureGeneration);
        Assert.Equal(1, backend.OnFailure(out var generation));
        Assert.Equal(0, generation);
        backend.OnSuccess();
        Assert.Equal((0, 1), (backend.FailureStreak, backend.FailureGeneration));
        Assert.Equal(1, backend.OnFailure(out generation));
        Assert.Equal(2, backend.OnFailure(out generation));
        Assert.Equal(1, generation);
        backend.ResetFailureStreak(0);                         // an older streak's verdict: ignored
        Assert.Equal((2, 1), (backend.FailureStreak, backend.FailureGeneration));
        backend.ResetFailureStreak(1);
        Assert.Equal((0, 2), (backend.FailureStreak, backend.FailureGeneration));
    }

    [Fact]
    public void The_queue_is_bounded_and_counts_rejections_and_timeouts()
    {
        var queue = new BackendWaitQueue(2);
        Assert.True(queue.TryEnter());
        Assert.True(queue.TryEnter());
        Assert.False(queue.TryEnter());
        Assert.Equal((2, 1L), (queue.Waiting, queue.TotalRejected));
        queue.Leave(timedOut: true);
        queue.Leave(timedOut: false);
        Assert.Equal((0, 1L, 2L), (queue.Waiting, queue.TotalTimeouts, queue.TotalQueued));
    }

    [Fact]
    public async Task A_release_wakes_the_oldest_live_waiter_and_skips_abandoned_ones()
    {
        var queue = new BackendWaitQueue(10);
        var backend = NewBackend();
        backend.WaitQueue = queue;
        Assert.True(queue.TryEnter());
        Assert.True(queue.TryEnter());
        var abandoned = queue.Register();
        var live = queue.Register();
        BackendWaitQueue.Abandon(abandoned);

        backend.OnStart();
        backend.OnEnd(); // frees a slot: releases one waiter
        await live.Task.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.True(abandoned.Task.IsCanceled);
    }

    [Fact]
    public void A_release_with_nobody_waiting_does_nothing()
    {
        var queue = new BackendWaitQueue(10);
        var stale = queue.Register(); // registered without a place in the queue: nobody is counted as waiting
        queue.Release();
        Assert.False(stale.Task.IsCompleted);
    }
}
