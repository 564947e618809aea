using System.Diagnostics;
using System.Net;
using Drover.Core.Configuration;
using Drover.Core.Net;

namespace Drover.Core.Pools;

/// <summary>
/// One backend of one pool: its identity plus the live counters the balancers read. The object
/// outlives snapshots (the pool actor reuses it), so counters survive health and weight changes.
/// Counters are updated by the data path with <see cref="Interlocked"/>; nothing here locks.
/// </summary>
public sealed class Backend
{
    private long _active;
    private long _requests;
    private long _failures;
    private long _latencyEwmaTicks;
    // The failure streak (low 32 bits) and its generation (high 32 bits) in one word, so that a report
    // carries both at once: a streak ended by a success or by the pool actor's verdict starts a new
    // generation, which tells the actor a late report of the old streak from one of the new streak.
    private long _streak;
    private long _retries;
    private readonly long[] _statuses = new long[StatusClass.Count];
    private long _connections;
    private long _bytesIn;
    private long _bytesOut;
    private int _configuredWeight;

    /// <param name="ordinal">The backend's position in its pool's config; hosts index per-backend state (connection pools) by it.</param>
    public Backend(string pool, BackendConfig config, int ordinal = 0)
    {
        Pool = pool;
        Ordinal = ordinal;
        Id = config.Id;
        Address = config.Address;
        _configuredWeight = config.Weight;
        EndPoint = config.Address.ToEndPoint();
        DestinationPrefix = $"http://{config.Address.Authority}/";
    }

    public string Pool { get; }
    public int Ordinal { get; }
    public string Id { get; }
    public HostPort Address { get; }
    /// <summary>The weight in the config; a reload changes it in place (the pool actor then publishes a new snapshot).</summary>
    public int ConfiguredWeight => Volatile.Read(ref _configuredWeight);

    /// <summary>A reload gave this backend a new weight; counters and health stay.</summary>
    public void SetConfiguredWeight(int weight) => Volatile.Write(ref _configuredWeight, weight);
    public EndPoint EndPoint { get; }

    /// <summary>The URI prefix the HTTP forwarder sends to, computed once.</summary>
    public string DestinationPrefix { get; }

    /// <summary>Requests in flight (HTTP) plus proxied connections open (TCP).</summary>
    public long Active => Volatile.Read(ref _active);
    public long Requests => Volatile.Read(ref _requests);
    public long Failures => Volatile.Read(ref _failures);

    /// <summary>Exponentially weighted moving average of response (or connect) time, in Stopwatch ticks; 0 = no sample yet.</summary>
    public long LatencyEwmaTicks => Volatile.Read(ref _latencyEwmaTicks);

    /// <summary>Backend faults in a row on the data path, with no success between them.</summary>
    public int FailureStreak => StreakOf(Volatile.Read(ref _streak));

    /// <summary>Which streak <see cref="FailureStreak"/> counts: a new one starts after a success or <see cref="ResetFailureStreak()"/>.</summary>
    public int FailureGeneration => GenerationOf(Volatile.Read(ref _streak));

    /// <summary>Requests sent to this backend as a retry of an attempt that failed elsewhere.</summary>
    public long Retries => Volatile.Read(ref _retries);

    /// <summary>Responses this backend sent (HTTP), by <see cref="StatusClass"/> slot; retried 5xx included.</summary>
    public long StatusCount(int statusClass) => Volatile.Read(ref _statuses[statusClass]);

    /// <summary>TCP connections proxied to this backend (connected; failed connects are <see cref="Failures"/>).</summary>
    public long Connections => Volatile.Read(ref _connections);

    /// <summary>TCP bytes from clients to this backend.</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>TCP bytes from this backend to clients.</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    /// <summary>The samples of <see cref="RecordLatency"/> in fixed buckets, for the latency histogram.</summary>
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Told when <see cref="Active"/> drops, so requests queued for a free slot can go on; set once by the host.</summary>
    public BackendWaitQueue? WaitQueue { get; set; }

    /// <summary>Counts a request or connection starting on this backend, without any limit.</summary>
    public void OnStart()
    {
        Interlocked.Increment(ref _active);
        Interlocked.Increment(ref _requests);
    }

    /// <summary>
    /// Counts a request or connection starting when fewer than <paramref name="maxActive"/> are in
    /// flight (0 = no limit); false, and nothing counted, when the backend is full. The check and the
    /// increment are one compare-and-swap, so concurrent callers cannot overshoot the limit.
    /// </summary>
    public bool TryStart(int maxActive)
    {
        if (maxActive <= 0)
        {
            OnStart();
            return true;
        }
        while (true)
        {
            var active = Volatile.Read(ref _active);
            if (active >= maxActive) return false;
            if (Interlocked.CompareExchange(ref _active, active + 1, active) == active) break;
        }
        Interlocked.Increment(ref _requests);
        return true;
    }

    public void OnEnd()
    {
        Interlocked.Decrement(ref _active);
        WaitQueue?.Release();
    }

    /// <summary>Counts a backend fault and returns the failure streak including it.</summary>
    public int OnFailure() => OnFailure(out _);

    /// <summary>Counts a backend fault; returns the failure streak including it, and that streak's generation.</summary>
    public int OnFailure(out int generation)
    {
        Interlocked.Increment(ref _failures);
        var packed = Interlocked.Increment(ref _streak);
        generation = GenerationOf(packed);
        return StreakOf(packed);
    }

    /// <summary>A good answer ends the failure streak (a read, and a write only when there is a streak, so the common case shares no cache line).</summary>
    public void OnSuccess() => EndStreak(generation: null);

    /// <summary>The owner's verdict on a streak is in (ejected, or kept for max-ejected): the count starts over.</summary>
    public void ResetFailureStreak() => EndStreak(generation: null);

    /// <summary>As <see cref="ResetFailureStreak()"/>, for the streak of <paramref name="generation"/> only (a newer one is left alone).</summary>
    public void ResetFailureStreak(int generation) => EndStreak(generation);

    private void EndStreak(int? generation)
    {
        var packed = Volatile.Read(ref _streak);
        while (StreakOf(packed) != 0 && (generation is not { } only || GenerationOf(packed) == only))
        {
            var next = (long)unchecked((uint)(GenerationOf(packed) + 1)) << 32;
            var seen = Interlocked.CompareExchange(ref _streak, next, packed);
            if (seen == packed) return;
            packed = seen;
        }
    }

    private static int StreakOf(long packed) => (int)(uint)packed;
    private static int GenerationOf(long packed) => (int)(packed >>> 32);

    public void OnRetry() => Interlocked.Increment(ref _retries);

    /// <summary>Counts a response from this backend by its status class.</summary>
    public void CountStatus(int status) => Interlocked.Increment(ref _statuses[StatusClass.Index(status)]);

    public void CountConnection() => Interlocked.Increment(ref _connections);

    public void AddBytesIn(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void AddBytesOut(long bytes) => Interlocked.Add(ref _bytesOut, bytes);

    /// <summary>
    /// Folds one latency sample into the EWMA (weight 1/8) and the histogram. A lost EWMA update under
    /// a race only drops one sample, which an average tolerates; a CAS loop would cost more than it saves.
    /// </summary>
    public void RecordLatency(long elapsedTicks)
    {
        if (elapsedTicks <= 0) elapsedTicks = 1;
        Latency.Record(elapsedTicks);
        var old = Volatile.Read(ref _latencyEwmaTicks);
        Volatile.Write(ref _latencyEwmaTicks, old == 0 ? elapsedTicks : old + ((elapsedTicks - old) >> 3));
    }

    public TimeSpan LatencyEwma => Stopwatch.GetElapsedTime(0, LatencyEwmaTicks);

    public override string ToString() => $"{Pool}/{Id} ({Address})";
}
