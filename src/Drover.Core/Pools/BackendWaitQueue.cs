using System.Collections.Concurrent;

namespace Drover.Core.Pools;

/// <summary>
/// A pool's bounded queue of requests waiting for a backend below <c>max-connections</c>
/// (HAProxy's server queue, pool-wide). Waiting is the slow path: a request only comes here when
/// every candidate was full, and the fast path pays one volatile read in <see cref="Release"/>.
/// </summary>
/// <remarks>
/// A waiter enqueues a completion source and then checks for a slot once more before it sleeps, and a
/// releaser frees its slot before it looks for waiters; so a slot freed between a waiter's first check
/// and its enqueue is seen by the waiter's second check, and no wake-up is lost. A woken waiter that
/// finds the slot taken again (by a request that never queued) simply waits again in its remaining
/// time. Sources of waiters that left (slot found, timeout) are completed by them, so a release skips
/// them and wakes a live one.
/// </remarks>
public sealed class BackendWaitQueue(int size)
{
    private readonly ConcurrentQueue<TaskCompletionSource> _waiters = new();
    private int _waiting;
    private long _timeouts;
    private long _rejected;
    private long _queued;

    private int _size = Math.Max(0, size);

    /// <summary>Places in the queue; a reload may change it (waiters beyond a smaller size stay until served or timed out).</summary>
    public int Size
    {
        get => Volatile.Read(ref _size);
        set => Volatile.Write(ref _size, Math.Max(0, value));
    }

    /// <summary>Requests waiting now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public long TotalQueued => Volatile.Read(ref _queued);
    public long TotalTimeouts => Volatile.Read(ref _timeouts);
    public long TotalRejected => Volatile.Read(ref _rejected);

    /// <summary>Takes a place in the queue; false (counted as rejected) when it is full.</summary>
    public bool TryEnter()
    {
        if (Interlocked.Increment(ref _waiting) > Size)
        {
            Interlocked.Decrement(ref _waiting);
            Interlocked.Increment(ref _rejected);
            return false;
        }
        Interlocked.Increment(ref _queued);
        return true;
    }

    /// <summary>Gives the place back (after a slot was found, or on timeout).</summary>
    public void Leave(bool timedOut)
    {
        Interlocked.Decrement(ref _waiting);
        if (timedOut) Interlocked.Increment(ref _timeouts);
    }

    /// <summary>Registers a wake-up; the caller checks for a slot again before awaiting it.</summary>
    public TaskCompletionSource Register()
    {
        var source = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiters.Enqueue(source);
        return source;
    }

    /// <summary>Marks a registration as no longer wanted, so a release passes it by.</summary>
    public static void Abandon(TaskCompletionSource source) => source.TrySetCanceled();

    /// <summary>A slot was freed: wakes the oldest live waiter, if any.</summary>
    public void Release()
    {
        if (Volatile.Read(ref _waiting) == 0) return;
        while (_waiters.TryDequeue(out var source))
            if (source.TrySetResult()) return;
    }
}
