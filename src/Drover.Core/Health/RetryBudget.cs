namespace Drover.Core.Health;

/// <summary>
/// Limits a pool's retries to a share of its recent requests, so retries cannot multiply the load on
/// backends that are failing because they are overloaded. Counts live in 1-second buckets over the
/// last <see cref="WindowSeconds"/> seconds (the current second and the nine before it).
/// </summary>
/// <remarks>
/// <para>Allowed retries in the window: <c>max(MinRetriesPerWindow, floor(Budget * requests))</c>. The
/// floor (default <see cref="DefaultMinRetriesPerWindow"/> per window, one a second on average) lets a
/// quiet pool retry at all: at 1 request a second a 20% budget alone would allow 2 per 10 s. It is not
/// added on top (unlike Finagle), so a busy pool gets exactly its budget. Budget 0 means no retries.</para>
/// <para>Thread-safe and lock-free: each bucket is one 64-bit word holding its second (high 32 bits)
/// and its count (low 32 bits), updated by compare-and-swap, so rolling a bucket over and counting in
/// it cannot lose an update. A retry is granted by a CAS on the current bucket after checking the
/// total, so two threads cannot both take the last retry of the same bucket; the only slack comes
/// from requests counted while the check runs, which only ever raises the allowance.</para>
/// </remarks>
public sealed class RetryBudget
{
    public const int WindowSeconds = 10;
    public const int DefaultMinRetriesPerWindow = 10;

    private readonly Func<long> _clock;
    private readonly long[] _requests = new long[WindowSeconds];
    private readonly long[] _retries = new long[WindowSeconds];
    private long _granted;
    private long _denied;

    /// <param name="budget">0..1: the share of recent requests that may be retried.</param>
    /// <param name="clockMilliseconds">A monotonic clock in milliseconds; production passes <c>() =&gt; Environment.TickCount64</c>.</param>
    public RetryBudget(double budget, Func<long> clockMilliseconds)
        : this(budget, clockMilliseconds, DefaultMinRetriesPerWindow) { }

    public RetryBudget(double budget, Func<long> clockMilliseconds, int minRetriesPerWindow)
    {
        ArgumentNullException.ThrowIfNull(clockMilliseconds);
        Budget = budget;
        MinRetriesPerWindow = Math.Max(0, minRetriesPerWindow);
        _clock = clockMilliseconds;
    }

    private double _budget;

    /// <summary>The share of requests that may be retries; a reload may change it (the window's counts stay).</summary>
    public double Budget
    {
        get => Volatile.Read(ref _budget);
        set => Volatile.Write(ref _budget, double.IsNaN(value) ? 0 : Math.Clamp(value, 0, 1));
    }
    public int MinRetriesPerWindow { get; }

    /// <summary>Retries granted since construction.</summary>
    public long Retries => Volatile.Read(ref _granted);

    /// <summary>Retries refused for the budget since construction.</summary>
    public long Denied => Volatile.Read(ref _denied);

    public long RequestsInWindow => Sum(_requests, Second());
    public long RetriesInWindow => Sum(_retries, Second());

    /// <summary>Counts a first attempt (not a retry).</summary>
    public void OnRequest() => OnRequests(1);

    /// <summary>
    /// Counts <paramref name="count"/> first attempts at once: a host that already counts requests per
    /// backend can feed the budget in batches (e.g. once a second) instead of touching this shared
    /// word on every request.
    /// </summary>
    public void OnRequests(long count)
    {
        if (count <= 0) return;
        var second = Second();
        ref var slot = ref _requests[Index(second)];
        while (true)
        {
            var current = Volatile.Read(ref slot);
            if (Interlocked.CompareExchange(ref slot, Increment(current, second, count), current) == current) return;
        }
    }

    /// <summary>True, and the retry counted, when it fits the budget; false (counted as denied) otherwise.</summary>
    public bool TryRetry()
    {
        if (Budget <= 0)
        {
            Interlocked.Increment(ref _denied);
            return false;
        }

        var second = Second();
        var index = Index(second);
        ref var slot = ref _retries[index];
        while (true)
        {
            var allowed = Math.Max(MinRetriesPerWindow, (long)Math.Floor(Budget * Sum(_requests, second) + 1e-9));
            var current = Volatile.Read(ref slot);
            long used = CountIfRecent(current, second);
            for (var i = 0; i < WindowSeconds; i++)
                if (i != index) used += CountIfRecent(Volatile.Read(ref _retries[i]), second);

            if (used >= allowed)
            {
                Interlocked.Increment(ref _denied);
                return false;
            }
            if (Interlocked.CompareExchange(ref slot, Increment(current, second), current) == current)
            {
                Interlocked.Increment(ref _granted);
                return true;
            }
        }
    }

    private long Second()
    {
        var ms = _clock();
        return ms >= 0 ? ms / 1000 : (ms - 999) / 1000;
    }

    private static int Index(long second) => (int)(((second % WindowSeconds) + WindowSeconds) % WindowSeconds);

    private static long Pack(uint second, uint count) => (long)(((ulong)second << 32) | count);

    /// <summary>The bucket word after <paramref name="amount"/> more counts at <paramref name="second"/>: a stale bucket restarts at 1.</summary>
    private static long Increment(long word, long second, long amount = 1)
    {
        var bucketSecond = (uint)((ulong)word >> 32);
        var count = (uint)word;
        var add = (uint)Math.Clamp(amount, 1, uint.MaxValue);
        // Signed difference of the wrapped seconds: > 0 means the bucket is from an older lap of the ring.
        // <= 0 is this second, or a newer one written by a thread that read the clock later: count there.
        // An empty bucket (count 0, e.g. never used) takes this second whatever its stored second says.
        var age = (int)((uint)second - bucketSecond);
        if (age > 0 || count == 0) return Pack((uint)second, add);
        return Pack(bucketSecond, count > uint.MaxValue - add ? uint.MaxValue : count + add);
    }

    private static long CountIfRecent(long word, long second)
    {
        var age = (int)((uint)second - (uint)((ulong)word >> 32));
        return age < WindowSeconds ? (uint)word : 0;
    }

    private static long Sum(long[] buckets, long second)
    {
        long sum = 0;
        for (var i = 0; i < buckets.Length; i++) sum += CountIfRecent(Volatile.Read(ref buckets[i]), second);
        return sum;
    }
}
