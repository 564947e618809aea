using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Drover.Core.Io;

/// <summary>
/// One epoll instance and the thread that waits on it. Sockets are registered edge-triggered for
/// both directions once, for their whole life; each event wakes that socket's waiting reader or
/// writer inline on this thread. Unlike .NET's socket engine, nothing here tries a receive before
/// epoll said there is data, so a request/response exchange costs one receive per socket instead of
/// a receive that fails with EAGAIN plus one that succeeds.
/// </summary>
public sealed unsafe class EventLoop
{
    private const int MaxEvents = 256;
    private const ulong WakeToken = 0;

    private readonly int _epoll;
    private readonly int _wakeFd;
    private readonly FileDescriptor _wakeHandle;
    private readonly ConcurrentDictionary<ulong, LoopSocket> _sockets = new();
    private readonly ConcurrentQueue<(Action<object?> Work, object? State)> _work = new();
    private readonly Thread _thread;
    private ulong _nextToken;
    private int _wakePending;

    [ThreadStatic] private static EventLoop? t_current;

    public EventLoop(string name)
    {
        _epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0) throw Libc.SocketError(Libc.LastError);
        _wakeFd = Libc.EventFd(0, Libc.EFD_CLOEXEC | Libc.EFD_NONBLOCK);
        if (_wakeFd < 0) throw Libc.SocketError(Libc.LastError);
        _wakeHandle = new FileDescriptor(_wakeFd);
        var ev = stackalloc byte[16];
        Libc.WriteEpollEvent(ev, Libc.EPOLLIN, WakeToken);
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, _wakeHandle, ev) != 0) throw Libc.SocketError(Libc.LastError);
        _thread = new Thread(Run) { IsBackground = true, Name = name };
        _thread.UnsafeStart();
    }

    /// <summary>The loop whose thread is running the caller, if any.</summary>
    public static EventLoop? Current => t_current;

    /// <summary>Sockets registered and not yet closed.</summary>
    public int Registered => _sockets.Count;

    /// <summary>Registers a non-blocking socket for its whole life; events are reported to it until it closes.</summary>
    internal void Register(LoopSocket socket)
    {
        var token = Interlocked.Increment(ref _nextToken);
        socket.Token = token;
        _sockets[token] = socket;
        var ev = stackalloc byte[16];
        Libc.WriteEpollEvent(ev, Libc.EPOLLIN | Libc.EPOLLOUT | Libc.EPOLLRDHUP | Libc.EPOLLET, token);
        if (Libc.EpollCtl(_epoll, Libc.EPOLL_CTL_ADD, socket.Handle, ev) != 0)
        {
            var errno = Libc.LastError;
            _sockets.TryRemove(token, out _);
            throw Libc.SocketError(errno);
        }
    }

    /// <summary>Forgets a socket that is about to close: events already fetched for it are dropped.</summary>
    internal void Unregister(LoopSocket socket) => _sockets.TryRemove(socket.Token, out _);

    /// <summary>Runs <paramref name="work"/> on the loop thread.</summary>
    public void Post(Action<object?> work, object? state)
    {
        _work.Enqueue((work, state));
        if (Interlocked.Exchange(ref _wakePending, 1) == 0)
        {
            ulong one = 1;
            Libc.Write(_wakeFd, (byte*)&one, sizeof(ulong));
        }
    }

    private void Run()
    {
        t_current = this;
        var events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * Libc.EpollEventSize));
        while (true)
        {
            var count = Libc.EpollWait(_epoll, events, MaxEvents, -1);
            if (count < 0)
            {
                if (Libc.LastError == Libc.EINTR) continue;
                Environment.FailFast($"epoll_wait failed: errno {Libc.LastError}");
            }
            var woken = false;
            for (var i = 0; i < count; i++)
            {
                var (mask, token) = Libc.ReadEpollEvent(events + i * Libc.EpollEventSize);
                if (token == WakeToken)
                {
                    woken = true;
                    continue;
                }
                if (_sockets.TryGetValue(token, out var socket)) Dispatch(socket, mask);
            }
            if (woken) RunPosted();
        }
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

    private void RunPosted()
    {
        ulong value;
        Libc.Read(_wakeFd, (byte*)&value, sizeof(ulong));
        Volatile.Write(ref _wakePending, 0);
        while (_work.TryDequeue(out var item))
        {
            try
            {
                item.Work(item.State);
            }
            catch (Exception ex)
            {
                Console.Error.WriteLine($"drover: work posted to an event loop threw: {ex}");
            }
        }
    }
}
