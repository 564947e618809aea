using Drover.Core.Health;
using Xunit;

namespace Drover.Core.Tests.Health;

public class RetryBudgetTests
{
    /// <summary>A settable clock in milliseconds.</summary>
    private sealed class FakeClock
    {
        public long Ms;
        public long Now() => Volatile.Read(ref Ms);
        public void Advance(long ms) => Ms += ms;
    }

    private static int Grant(RetryBudget budget, int attempts)
    {
        var granted = 0;
        for (var i = 0; i < attempts; i++)
            if (budget.TryRetry()) granted++;
        return granted;
    }

    private static void Requests(RetryBudget budget, int count)
    {
        for (var i = 0; i < count; i++) budget.OnRequest();
    }

    [Fact]
    public void TwentyPercentOfAHundredRequestsIsTwentyRetries()
    {
        var clock = new FakeClock { Ms = 5_000 };
        var budget = new RetryBudget(0.2, clock.Now);
        Requests(budget, 100);

        Assert.Equal(20, Grant(budget, 50));
        Assert.Equal(20, budget.Retries);
        Assert.Equal(30, budget.Denied);
        Assert.False(budget.TryRetry());
        Assert.Equal(100, budget.RequestsInWindow);
        Assert.Equal(20, budget.RetriesInWindow);
    }

    [Fact]
    public void RequestsCountedInABatchEqualTheSameCountedOneByOne()
    {
        var clock = new FakeClock { Ms = 5_000 };
        var budget = new RetryBudget(0.2, clock.Now, minRetriesPerWindow: 0);
        budget.OnRequests(60);
        budget.OnRequests(0);
        budget.OnRequests(-5);
        clock.Advance(1_000);
        budget.OnRequests(40);
        Assert.Equal(100, budget.RequestsInWindow);
        Assert.Equal(20, Grant(budget, 50));
        clock.Advance(9_500); // the first batch's second has left the window
        Assert.Equal(40, budget.RequestsInWindow);
    }

    [Fact]
    public void MoreRequestsRaiseTheAllowance()
    {
        var clock = new FakeClock();
        var budget = new RetryBudget(0.2, clock.Now, minRetriesPerWindow: 0);
        Requests(budget, 100);
        Assert.Equal(20, Grant(budget, 30));
        Requests(budget, 50);
        Assert.Equal(10, Grant(budget, 30));
    }

    [Fact]
    public void BucketsRollOffAfterTenSeconds()
    {
        var clock = new FakeClock();
        var budget = new RetryBudget(0.2, clock.Now, minRetriesPerWindow: 0);
        Requests(budget, 100);                 // second 0
        Assert.Equal(20, Grant(budget, 30));

        clock.Advance(5_000);                  // second 5: 200 requests, 20 retries in the window
        Requests(budget, 100);
        Assert.Equal(20, Grant(budget, 30));

        clock.Advance(4_999);                  // 9.999 s: second 0 is still in the window
        Assert.False(budget.TryRetry());
        Assert.Equal(200, budget.RequestsInWindow);

        clock.Advance(1);                      // 10 s: second 0 rolled off (its 100 requests and 20 retries)
        Assert.Equal(100, budget.RequestsInWindow);
        Assert.Equal(20, budget.RetriesInWindow);
        Assert.False(budget.TryRetry());       // 20 of 20 used by second 5
        Requests(budget, 50);
        Assert.Equal(10, Grant(budget, 30));

        clock.Advance(10_000);                 // 20 s: everything rolled off
        Assert.Equal(0, budget.RequestsInWindow);
        Assert.Equal(0, budget.RetriesInWindow);
        Assert.False(budget.TryRetry());
        Requests(budget, 10);
        Assert.Equal(2, Grant(budget, 10));
    }

    [Fact]
    public void AQuietPoolCanStillRetryUpToTheFloor()
    {
        var clock = new FakeClock();
        var budget = new RetryBudget(0.2, clock.Now);
        Requests(budget, 3);                   // 20% of 3 rounds down to none

        Assert.Equal(RetryBudget.DefaultMinRetriesPerWindow, Grant(budget, 50));

        clock.Advance(10_000);                 // a new window, a new floor
        Assert.Equal(RetryBudget.DefaultMinRetriesPerWindow, Grant(budget, 50));
    }

    [Fact]
    public void TheFloorIsNotAddedToTheBudget()
    {
        var budget = new RetryBudget(0.2, new FakeClock().Now, minRetriesPerWindow: 10);
        Requests(budget, 1000);
        Assert.Equal(200, Grant(budget, 500));
    }

    [Fact]
    public void ZeroBudgetNeverRetries()
    {
        var budget = new RetryBudget(0, new FakeClock().Now);
        Requests(budget, 1000);
        Assert.Equal(0, Grant(budget, 10));
        Assert.Equal(10, budget.Denied);
    }

    [Fact]
    public void ANegativeClockIsFine()
    {
        var clock = new FakeClock { Ms = -25_500 };
        var budget = new RetryBudget(0.5, clock.Now, minRetriesPerWindow: 0);
        Requests(budget, 10);
        Assert.Equal(5, Grant(budget, 10));
        clock.Advance(10_000);
        Assert.Equal(0, budget.RequestsInWindow);
    }

    [Fact]
    public void ConcurrentUseStaysWithinTheBudget()
    {
        var clock = new FakeClock { Ms = 1_000 };
        var budget = new RetryBudget(0.2, clock.Now);
        const int PerThread = 50_000;
        var start = new Barrier(2);

        void Work()
        {
            start.SignalAndWait();
            // Every request wants a retry: far more demand than the 20% budget.
            for (var i = 0; i < PerThread; i++)
            {
                budget.OnRequest();
                budget.TryRetry();
            }
        }

        var threads = new[] { new Thread(Work), new Thread(Work) };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        const int Requests = 2 * PerThread;
        Assert.Equal(Requests, budget.RequestsInWindow);
        Assert.Equal(Requests, budget.Retries + budget.Denied);
        Assert.Equal(budget.Retries, budget.RetriesInWindow);
        Assert.InRange(budget.Retries, (long)(0.2 * Requests) - 2, (long)(0.2 * Requests));
    }

    [Fact]
    public void ConcurrentUseAcrossBucketRolloversNeverThrowsOrLosesCounts()
    {
        // Each clock read advances 1 ms: ~200 s of fake time, so buckets roll over under contention.
        long ms = 0;
        var budget = new RetryBudget(0.2, () => Interlocked.Increment(ref ms), minRetriesPerWindow: 0);
        const int PerThread = 50_000;
        var start = new Barrier(2);
        Exception? failure = null;

        void Work()
        {
            try
            {
                start.SignalAndWait();
                for (var i = 0; i < PerThread; i++)
                {
                    budget.OnRequest();
                    budget.TryRetry();
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }

        var threads = new[] { new Thread(Work), new Thread(Work) };
        foreach (var t in threads) t.Start();
        foreach (var t in threads) t.Join();

        Assert.Null(failure);
        Assert.Equal(2 * PerThread, budget.Retries + budget.Denied);
        // Each window allows at most 20% of the requests in it; the run as a whole stays near that.
        Assert.InRange(budget.Retries, (long)(0.15 * 2 * PerThread), (long)(0.2 * 2 * PerThread) + 20);
    }
}
