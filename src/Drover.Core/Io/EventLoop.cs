using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Drover.Core.Io;

/// <summary>
/// One epoll instance and the thread that waits on it. Sockets are registered edge-triggered for
/// both directions once, for their whole life (an accepted socket may join only when it first has to
/// wait: see <see cref="LoopSocket.FromAccepted"/>); each event wakes that socket's waiting reader or
/// writer inline on this thread. Unlike .NET's socket engine, a registered socket is not tried for a
/// receive before epoll said there is data, so a request/response exchange costs one receive per
/// socket instead of a receive that fails with EAGAIN plus one that succeeds.
/// <para>
/// Before it sleeps, a loop busy-polls (non-blocking epoll_wait) for up to <see cref="BusyPoll"/>.
/// A sleeping loop has to be woken by whoever sends it data: on a virtual machine that is an
/// inter-processor interrupt through the hypervisor, paid by the sender's CPU, and the loop's CPU
/// goes idle and must be resumed. Under load the next event usually comes within microseconds, so
/// polling saves both; when events stop coming the window shrinks to nothing (see
/// <see cref="NextPollWindow"/>), so an idle or lightly loaded loop does not burn its CPU.
/// The same trade as HAProxy's busy-polling, bounded, and as .NET's thread pool workers spinning
/// before they block.
/// </para>
/// </summary>
public sealed unsafe class EventLoop
{
    private const int MaxEvents = 256;

    private readonly int _epoll;
    private readonly SocketTable _sockets = new();
    private readonly Thread _thread;
    private long _busyPollTicks;
    private long _sleeps;

    [ThreadStatic] private static EventLoop? t_current;

    public EventLoop(string name, TimeSpan busyPoll = default)
    {
        BusyPoll = busyPoll;
        _epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0) throw Libc.SocketError(Libc.LastError);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    /// <summary>The loop whose thread is running the caller, if any.</summary>
    public static EventLoop? Current => t_current;

    /// <summary>Sockets registered and not yet closed.</summary>
    public int Registered => _sockets.Count;

    /// <summary>The longest the loop polls for events before it sleeps; zero: it sleeps at once.</summary>
    public TimeSpan BusyPoll
    {
        get => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _busyPollTicks));
        set
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
            Volatile.Write(ref _busyPollTicks, (long)(value.TotalSeconds * Stopwatch.Frequency));
        }
    }

    /// <summary>How many blocking waits for events the loop has made: each is a sleep (a wake-up some sender pays for) unless an event was already pending.</summary>
    public long Sleeps => Volatile.Read(ref _sleeps);

    /// <summary>Registers a non-blocking socket for its whole life; events are reported to it until it closes.</summary>
    internal void Register(LoopSocket socket)
    {
        _sockets.Add(socket);
        var ev = stackalloc byte[16];
        Libc.WriteEpollEvent(ev, Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET, socket.Token);
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, socket.Handle, ev) != 0)
        {
            var errno = Libc.LastError;
            _sockets.Remove(socket);
            throw Libc.SocketError(errno);
        }
    }

    /// <summary>Forgets a socket that is about to close: events already fetched for it are dropped.</summary>
    internal void Unregister(LoopSocket socket) => _sockets.Remove(socket);

    private void Run()
    {
        t_current = this;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * Libc.EpollEventSize));
        var window = 0L; // the current busy-poll window, in Stopwatch ticks
        while (true)
        {
            var limit = Volatile.Read(ref _busyPollTicks);
            var count = window > 0 ? Poll(events, Math.Min(window, limit)) : 0;
            if (count == 0)
            {
                var sleptAt = Stopwatch.GetTimestamp();
                count = Libc.EpollWait(_epoll, events, MaxEvents, -1);
                Volatile.Write(ref _sleeps, _sleeps + 1);
                window = NextPollWindow(window, Stopwatch.GetTimestamp() - sleptAt, limit);
            }
            if (count < 0)
            {
                if (Libc.LastError == Libc.EINTR) continue;
                Environment.FailFast($"epoll_wait failed: errno {Libc.LastError}");
            }
            for (var i = 0; i < count; i++)
            {
                var (mask, token) = Libc.ReadEpollEvent(events + i * Libc.EpollEventSize);
                if (_sockets.Find(token) is { } socket) Dispatch(socket, mask);
            }
        }
    }

    /// <summary>Non-blocking epoll_wait until it returns events (or an error) or the window has passed.</summary>
    private int Poll(byte* events, long window)
    {
        var until = Stopwatch.GetTimestamp() + window;
        int count;
        do count = Libc.EpollWait(_epoll, events, MaxEvents, 0);
        while (count == 0 && Stopwatch.GetTimestamp() < until);
        return count;
    }

    /// <summary>
    /// The busy-poll window after a sleep of <paramref name="slept"/> (all in Stopwatch ticks), like
    /// the Linux guest halt-poll governor: an event that came within <paramref name="limit"/> of going
    /// to sleep would have been caught by polling, so the window doubles (up to the limit); a sleep
    /// longer than four limits means events are sparse, so the window halves, and soon the loop
    /// sleeps at once again.
    /// </summary>
    internal static long NextPollWindow(long window, long slept, long limit)
    {
        if (limit <= 0) return 0;
        if (slept < limit) return Math.Min(limit, Math.Max(window * 2, limit / 8));
        if (slept > 4 * limit) return window / 2 < limit / 16 ? 0 : window / 2;
        return window;
    }

    private static void Dispatch(LoopSocket socket, uint mask)
    {
        try
        {
            socket.OnEvents(mask);
        }
        catch (Exception ex)
        {
            // Continuations are async methods, which keep their exceptions; one that escapes is a bug,
            // and it must not take the loop (and every other socket on it) down with it.
            Console.Error.WriteLine($"drover: an event-loop continuation threw: {ex}");
        }
    }
}
