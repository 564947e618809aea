using System.Threading.Tasks.Sources;

namespace Drover.Core.Io;

/// <summary>
/// One direction (read or write) of a socket's readiness, as an edge-triggered epoll reports it.
/// The loop thread counts every readiness event; a consumer that found the socket drained remembers
/// the count it saw and waits until the count moves. An event between the consumer's syscall and
/// its wait moves the count, so it is never lost. A wait completes on the loop thread and runs its
/// continuation there, inline: the same thread then does the work the event made possible.
/// </summary>
internal sealed class ReadinessSignal : IValueTaskSource
{
    private ManualResetValueTaskSourceCore<bool> _core = new() { RunContinuationsAsynchronously = false };
    private int _events;
    private int _armed;
    private CancellationTokenRegistration _cancellation;
    private bool _closed;

    /// <summary>The number of readiness events seen so far.</summary>
    public int Events => Volatile.Read(ref _events);

    /// <summary>Called by the loop thread for each event in this direction (and when the socket closes).</summary>
    public void Signal()
    {
        Interlocked.Increment(ref _events);
        if (Interlocked.Exchange(ref _armed, 0) == 1) _core.SetResult(true);
    }

    /// <summary>Wakes a waiter for good: the socket is being closed.</summary>
    public void Close()
    {
        Volatile.Write(ref _closed, true);
        Signal();
    }

    public bool IsClosed => Volatile.Read(ref _closed);

    /// <summary>Completes when the event count differs from <paramref name="seen"/> (at once if it already does).</summary>
    public ValueTask WaitAsync(int seen, CancellationToken cancellationToken)
    {
        if (Events != seen) return ValueTask.CompletedTask;
        cancellationToken.ThrowIfCancellationRequested();
        _core.Reset();
        Interlocked.Exchange(ref _armed, 1);
        if (Events != seen && Interlocked.Exchange(ref _armed, 0) == 1) return ValueTask.CompletedTask; // an event slipped in
        if (cancellationToken.CanBeCanceled)
            _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((ReadinessSignal)state!).Cancel(token), this);
        return new ValueTask(this, _core.Version);
    }

    private void Cancel(CancellationToken token)
    {
        if (Interlocked.Exchange(ref _armed, 0) == 1) _core.SetException(new OperationCanceledException(token));
    }

    void IValueTaskSource.GetResult(short token)
    {
        // Unregistered before the next wait can start, so a stale callback never cancels a later wait.
        _cancellation.Dispose();
        _cancellation = default;
        _core.GetResult(token);
    }

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
