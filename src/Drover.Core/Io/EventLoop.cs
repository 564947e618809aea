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

    private readonly int _epoll;
    private readonly ConcurrentDictionary<ulong, LoopSocket> _sockets = new();
    private readonly Thread _thread;
    private ulong _nextToken; // 0 is never a socket's token

    [ThreadStatic] private static EventLoop? t_current;

    public EventLoop(string name)
    {
        _epoll = Libc.EpollCreate(Libc.EPOLL_CLOEXEC);
        if (_epoll < 0) throw Libc.SocketError(Libc.LastError);
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
            for (var i = 0; i < count; i++)
            {
                var (mask, token) = Libc.ReadEpollEvent(events + i * Libc.EpollEventSize);
                if (_sockets.TryGetValue(token, out var socket)) Dispatch(socket, mask);
            }
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
}
