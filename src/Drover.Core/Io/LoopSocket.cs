using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Drover.Core.Threading;

namespace Drover.Core.Io;

/// <summary>
/// A non-blocking TCP socket driven by an <see cref="EventLoop"/>. A receive makes a syscall only
/// when epoll reported data since the last one that drained the socket (a read shorter than the
/// buffer, or EAGAIN); otherwise it waits for the next event without trying. Sends go straight to
/// the kernel and wait for writability only when the send buffer is full. One reader and one writer
/// at a time; the two may be on different threads.
/// <para>
/// An accepted socket may join epoll only when it first has to wait (<see cref="FromAccepted"/>), as
/// HAProxy's speculative I/O does: the request is usually there when the connection is accepted, and
/// a connection that ends before it must wait (a new connection per request) costs no epoll_ctl.
/// </para>
/// </summary>
public sealed class LoopSocket : IConnectedSocket
{
    private readonly ReadinessSignal _readable = new();
    private readonly ReadinessSignal _writable = new();
    // The read event count when a receive last found the socket drained. A registered new socket counts
    // as drained: registering it reports data already waiting as an event, so nothing is missed. One not
    // yet registered counts as not drained (-1): the first receive tries recv at once.
    private int _drainedAt;
    // 1 once the socket joined its loop's epoll (at once, or when it first had to wait).
    private int _registered;
    // Set once epoll reported that the peer closed its side (or the socket failed). No edge follows
    // that one, so from then on a short read never counts as drained: the end of stream is still to
    // be read, and the next receive must reach recv to see it.
    private volatile bool _readClosed;
    private int _disposed;
    // A listening socket's: whether accepted sockets come with TCP_NODELAY (only its one accepting caller touches it).
    private AcceptedNoDelay _acceptedNoDelay;

    internal LoopSocket(EventLoop loop, SafeHandle handle, bool registerWhenWaiting = false)
    {
        Loop = loop;
        Handle = handle;
        if (registerWhenWaiting)
        {
            _drainedAt = -1;
            return;
        }
        _registered = 1;
        loop.Register(this);
    }

    /// <summary>
    /// Joins the loop's epoll before a wait, if the socket has not yet. Registering (edge-triggered)
    /// reports readiness that is already there as an event, so data or room that came before is not missed.
    /// </summary>
    private void EnsureRegistered()
    {
        if (Volatile.Read(ref _registered) == 0 && Interlocked.Exchange(ref _registered, 1) == 0) Loop.Register(this);
    }

    /// <summary>True once the socket has joined its loop's epoll (at once, or when it first had to wait).</summary>
    public bool IsRegistered => Volatile.Read(ref _registered) != 0;

    /// <summary>False when a receive now would find nothing (the last one drained the socket and epoll reported nothing since).</summary>
    public bool MayBeReadable => _readable.Events != _drainedAt;

    public EventLoop Loop { get; }

    internal SafeHandle Handle { get; }

    internal ulong Token { get; set; }

    /// <summary>Called by the loop thread.</summary>
    internal void OnEvents(uint mask)
    {
        if ((mask & (Libc.EPOLLHUP | Libc.EPOLLERR | Libc.EPOLLRDHUP)) != 0) _readClosed = true; // before the signal: a reader that sees the event sees this
        if ((mask & (Libc.EPOLLIN | Libc.EPOLLHUP | Libc.EPOLLERR | Libc.EPOLLRDHUP)) != 0) _readable.Signal();
        if ((mask & (Libc.EPOLLOUT | Libc.EPOLLHUP | Libc.EPOLLERR)) != 0) _writable.Signal();
    }

    /// <summary>Receives into <paramref name="buffer"/>; 0 means the peer closed its side.</summary>
    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (buffer.IsEmpty) throw new ArgumentException("a receive needs room", nameof(buffer));
        return TryReceive(buffer.Span, out var received) ? new ValueTask<int>(received) : ReceiveSlowAsync(buffer, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    private async ValueTask<int> ReceiveSlowAsync(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        while (true)
        {
            EnsureRegistered();
            await _readable.WaitAsync(_drainedAt, cancellationToken).ConfigureAwait(false);
            ThrowIfClosed(_readable);
            if (TryReceive(buffer.Span, out var received)) return received;
        }
    }

    /// <summary>Completes when a receive would find data (or the end), without taking any.</summary>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken = default)
    {
        if (_readable.Events != _drainedAt) return ValueTask.CompletedTask;
        EnsureRegistered();
        return _readable.WaitAsync(_drainedAt, cancellationToken);
    }

    /// <summary>Completes a pending <see cref="WaitReadableAsync"/> as an event would (a receive after it may then find nothing).</summary>
    public void WakeReceiveWait() => _readable.Signal();

    /// <summary>One receive, never waiting: false when epoll has reported nothing since the socket was last drained, or recv found nothing; received 0 means the peer closed.</summary>
    public bool TryReceiveNow(Span<byte> buffer, out int received)
    {
        if (buffer.IsEmpty) throw new ArgumentException("a receive needs room", nameof(buffer));
        return TryReceive(buffer, out received);
    }

    /// <summary>One receive if epoll reported data since the socket was last drained; false when there is nothing to take.</summary>
    private unsafe bool TryReceive(Span<byte> buffer, out int received)
    {
        // Closing the socket counts as an event, so a receive after it reaches recv and fails there
        // (the handle is disposed by then).
        var seen = _readable.Events;
        if (seen == _drainedAt)
        {
            received = 0;
            return false;
        }
        while (true)
        {
            nint n;
            fixed (byte* at = buffer) n = Libc.Recv(Handle, at, buffer.Length, 0);
            if (n >= 0)
            {
                // Shorter than asked: the kernel had no more. Anything arriving later raises a new edge
                // (unless the peer has closed: then its end of stream is what the next recv returns).
                if (n < buffer.Length && n > 0 && !_readClosed) _drainedAt = seen;
                received = (int)n;
                return true;
            }
            var errno = Libc.LastError;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN)
            {
                _drainedAt = seen;
                received = 0;
                return false;
            }
            throw Libc.SocketError(errno);
        }
    }

    /// <summary>Sends all of <paramref name="data"/>, waiting for room when the send buffer is full.</summary>
    public ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken = default)
    {
        var sent = TrySend(data.Span, out var writableSeen);
        return sent == data.Length ? ValueTask.CompletedTask : SendSlowAsync(data[sent..], writableSeen, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private async ValueTask SendSlowAsync(ReadOnlyMemory<byte> data, int writableSeen, CancellationToken cancellationToken)
    {
        while (true)
        {
            EnsureRegistered();
            await _writable.WaitAsync(writableSeen, cancellationToken).ConfigureAwait(false);
            ThrowIfClosed(_writable);
            var sent = TrySend(data.Span, out writableSeen);
            if (sent == data.Length) return;
            data = data[sent..];
        }
    }

    /// <summary>Sends what the kernel takes now; returns how much that was.</summary>
    private unsafe int TrySend(ReadOnlySpan<byte> data, out int writableSeen)
    {
        var total = 0;
        while (true)
        {
            writableSeen = _writable.Events;
            if (total == data.Length) return total;
            nint n;
            fixed (byte* at = data) n = Libc.Send(Handle, at + total, data.Length - total, Libc.MSG_NOSIGNAL);
            if (n > 0)
            {
                total += (int)n;
                continue;
            }
            var errno = Libc.LastError;
            if (n < 0 && errno == Libc.EINTR) continue;
            if (n < 0 && errno == Libc.EAGAIN) return total;
            throw Libc.SocketError(n == 0 ? 32 : errno);
        }
    }

    private const int CopyToSendMaximum = 4096;

    /// <summary>
    /// Sends what the kernel takes now of <paramref name="first"/> then <paramref name="second"/> (one
    /// syscall when both have bytes), without waiting; returns how many bytes that was (0: the send buffer is full).
    /// </summary>
    [SkipLocalsInit]
    public unsafe int TrySendNow(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        if (second.IsEmpty) return TrySend(first, out _);
        if (first.IsEmpty) return TrySend(second, out _);
        if (first.Length + second.Length <= CopyToSendMaximum)
        {
            // A response head and a small body: copied together and sent with one send(), which costs
            // less than gathering them (the copy is tens of nanoseconds; sendmsg's iovec handling more).
            Span<byte> joined = stackalloc byte[CopyToSendMaximum];
            first.CopyTo(joined);
            second.CopyTo(joined[first.Length..]);
            return TrySend(joined[..(first.Length + second.Length)], out _);
        }
        var vectors = stackalloc Libc.IoVec[2];
        nint n;
        fixed (byte* a = first)
        fixed (byte* b = second)
        {
            vectors[0].Base = a;
            vectors[0].Length = first.Length;
            vectors[1].Base = b;
            vectors[1].Length = second.Length;
            while (true)
            {
                n = Libc.SendVectors(Handle, vectors, 2);
                if (n >= 0) break;
                var errno = Libc.LastError;
                if (errno == Libc.EINTR) continue;
                if (errno == Libc.EAGAIN) return 0;
                throw Libc.SocketError(errno);
            }
        }
        // The rest of a partial write: as much more as the kernel takes now.
        var sent = (int)n;
        if (sent < first.Length) return sent + TrySendNow(first[sent..], second);
        if (sent < first.Length + second.Length) sent += TrySend(second[(sent - first.Length)..], out _);
        return sent;
    }

    /// <summary>Sends every segment of <paramref name="data"/> (one sendmsg for up to 16 segments).</summary>
    public ValueTask SendAsync(in ReadOnlySequence<byte> data, CancellationToken cancellationToken = default)
    {
        if (data.IsSingleSegment) return SendAsync(data.First, cancellationToken);
        return SendSegmentsAsync(data, cancellationToken);
    }

    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    private async ValueTask SendSegmentsAsync(ReadOnlySequence<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
        {
            var writableSeen = _writable.Events;
            var sent = TrySendSegments(data);
            if (sent > 0)
            {
                data = data.Slice(sent);
                continue;
            }
            EnsureRegistered();
            await _writable.WaitAsync(writableSeen, cancellationToken).ConfigureAwait(false);
            ThrowIfClosed(_writable);
        }
    }

    private const int MaxVectors = 16;

    [InlineArray(MaxVectors)]
    private struct Pins
    {
        private MemoryHandle _first;
    }

    private unsafe long TrySendSegments(in ReadOnlySequence<byte> data)
    {
        var vectors = stackalloc Libc.IoVec[MaxVectors];
        var pins = new Pins();
        var count = 0;
        try
        {
            foreach (var segment in data)
            {
                if (segment.IsEmpty) continue;
                pins[count] = segment.Pin();
                vectors[count].Base = (byte*)pins[count].Pointer;
                vectors[count].Length = segment.Length;
                if (++count == MaxVectors) break;
            }
            while (true)
            {
                var n = Libc.SendVectors(Handle, vectors, count);
                if (n >= 0) return n;
                var errno = Libc.LastError;
                if (errno == Libc.EINTR) continue;
                if (errno == Libc.EAGAIN) return 0;
                throw Libc.SocketError(errno);
            }
        }
        finally
        {
            for (var i = 0; i < count; i++) pins[i].Dispose();
        }
    }

    /// <summary>
    /// Moves up to <paramref name="max"/> bytes from this socket into <paramref name="pipe"/> (splice,
    /// no copy through user memory) if epoll reported data since the socket was last drained: the bytes
    /// moved, 0 when the peer has closed, -1 when there is nothing to take now (wait with
    /// <see cref="WaitReadableAsync"/>). The pipe must have room for them: the caller splices into an empty one.
    /// </summary>
    public int TrySpliceTo(SplicePipe pipe, int max)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        var seen = _readable.Events;
        if (seen == _drainedAt) return -1;
        while (true)
        {
            nint n;
            unsafe { n = Libc.Splice(Handle, null, pipe.WriteEnd, null, max, Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK); }
            if (n >= 0)
            {
                // A short splice does not prove the socket drained (the pipe may have run out of slots),
                // so unlike a receive it is not marked drained: the next one finds out with EAGAIN.
                pipe.Buffered += (int)n;
                return (int)n;
            }
            var errno = Libc.LastError;
            if (errno == Libc.EINTR) continue;
            if (errno == Libc.EAGAIN)
            {
                _drainedAt = seen;
                return -1;
            }
            throw Libc.SocketError(errno);
        }
    }

    /// <summary>
    /// Moves what the kernel takes now of <paramref name="pipe"/>'s bytes into this socket (splice);
    /// returns how many. <paramref name="writableSeen"/> is the count to wait from
    /// (<see cref="WaitWritableAsync"/>) when bytes are left in the pipe.
    /// </summary>
    public int TrySpliceFrom(SplicePipe pipe, out int writableSeen)
    {
        var total = 0;
        while (true)
        {
            writableSeen = _writable.Events;
            if (pipe.Buffered == 0) return total;
            nint n;
            unsafe { n = Libc.Splice(pipe.ReadEnd, null, Handle, null, pipe.Buffered, Libc.SPLICE_F_MOVE | Libc.SPLICE_F_NONBLOCK); }
            if (n > 0)
            {
                pipe.Buffered -= (int)n;
                total += (int)n;
                continue;
            }
            var errno = Libc.LastError;
            if (n < 0 && errno == Libc.EINTR) continue;
            if (n < 0 && errno == Libc.EAGAIN) return total;
            throw Libc.SocketError(n == 0 ? 32 : errno);
        }
    }

    /// <summary>Completes when a send may find room again: the count moved from <paramref name="writableSeen"/> (or the socket closed).</summary>
    public ValueTask WaitWritableAsync(int writableSeen, CancellationToken cancellationToken = default)
    {
        EnsureRegistered();
        return _writable.WaitAsync(writableSeen, cancellationToken);
    }

    /// <summary>Accepts one connection from this listening socket (waiting for one if none is queued); awaited once.</summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    public async ValueTask<(SafeHandle Handle, IPEndPoint? Remote)> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            var seen = _readable.Events;
            var accepted = TryAccept(out var remote);
            if (accepted is not null) return (accepted, remote);
            await _readable.WaitAsync(seen, cancellationToken).ConfigureAwait(false);
            ThrowIfClosed(_readable);
        }
    }

    private unsafe SafeHandle? TryAccept(out IPEndPoint? remote)
    {
        var address = stackalloc byte[128];
        while (true)
        {
            var length = 128;
            var fd = Libc.Accept(Handle, address, &length, Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC);
            if (fd >= 0)
            {
                remote = Libc.ReadSocketAddress(new ReadOnlySpan<byte>(address, length));
                var accepted = new FileDescriptor(fd);
                if (_acceptedNoDelay != AcceptedNoDelay.Inherited) EnsureNoDelay(accepted);
                return accepted;
            }
            var errno = Libc.LastError;
            // EINTR, and ECONNABORTED (the client gave up while queued): take the next one.
            if (errno is Libc.EINTR or 103) continue;
            remote = null;
            if (errno == Libc.EAGAIN) return null;
            throw Libc.SocketError(errno);
        }
    }

    /// <summary>
    /// Wraps a socket from <see cref="AcceptAsync"/> (non-blocking, TCP_NODELAY on) and registers it with <paramref name="loop"/>:
    /// at once, or with <paramref name="registerWhenWaiting"/> only when a receive or send first has to wait. Only for a
    /// caller on <paramref name="loop"/>'s own thread, whose first receive (speculative: it tries recv before any event)
    /// then runs on the thread that the socket's events will.
    /// </summary>
    public static LoopSocket FromAccepted(EventLoop loop, SafeHandle handle, bool registerWhenWaiting = false) => new(loop, handle, registerWhenWaiting);

    /// <summary>
    /// Wraps a listening socket (made non-blocking here) so that <see cref="AcceptAsync"/> waits on <paramref name="loop"/>.
    /// TCP_NODELAY is set on the listening socket: Linux copies it to every accepted one, which saves a
    /// setsockopt per connection (checked on the first accept; set on each one where it is not copied).
    /// </summary>
    /// <param name="delayAcks">
    /// Quick ACKs off (TCP_QUICKACK 0, also copied to accepted sockets), for a protocol where each request gets a
    /// response (HTTP): the kernel then does not ACK a new connection's first request at once but lets the ACK ride
    /// on the response, one packet fewer per connection. HAProxy does the same for its HTTP frontends.
    /// </param>
    public static unsafe LoopSocket FromListening(EventLoop loop, Socket listening, bool delayAcks = false)
    {
        listening.Blocking = false;
        listening.NoDelay = true;
        if (delayAcks)
        {
            var off = 0;
            Libc.SetSockOpt(listening.SafeHandle, Libc.IPPROTO_TCP, Libc.TCP_QUICKACK, &off, sizeof(int));
        }
        return new LoopSocket(loop, listening.SafeHandle);
    }

    private enum AcceptedNoDelay
    {
        Unknown,
        Inherited,
        SetEach,
    }

    private unsafe void EnsureNoDelay(SafeHandle accepted)
    {
        int on = 0, length = sizeof(int);
        if (_acceptedNoDelay == AcceptedNoDelay.Unknown)
        {
            var inherited = Libc.GetSockOpt(accepted, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &on, &length) == 0 && on != 0;
            _acceptedNoDelay = inherited ? AcceptedNoDelay.Inherited : AcceptedNoDelay.SetEach;
            if (inherited) return;
        }
        on = 1;
        Libc.SetSockOpt(accepted, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &on, sizeof(int));
    }

    /// <summary>Connects a new socket to <paramref name="endPoint"/> (TCP_NODELAY on), registered with <paramref name="loop"/>.</summary>
    public static async ValueTask<LoopSocket> ConnectAsync(EventLoop loop, IPEndPoint endPoint, CancellationToken cancellationToken)
    {
        var socket = StartConnect(loop, endPoint, out var pending);
        try
        {
            if (pending)
            {
                // Counted from 0: the socket was registered after connect() started, so an event for
                // a connect that already finished is not missed.
                await socket._writable.WaitAsync(0, cancellationToken).ConfigureAwait(false);
                socket.ThrowIfConnectFailed();
            }
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    private unsafe static LoopSocket StartConnect(EventLoop loop, IPEndPoint endPoint, out bool pending)
    {
        var family = endPoint.AddressFamily == AddressFamily.InterNetwork ? Libc.AF_INET : Libc.AF_INET6;
        var fd = Libc.Socket(family, Libc.SOCK_STREAM | Libc.SOCK_NONBLOCK | Libc.SOCK_CLOEXEC, 0);
        if (fd < 0) throw Libc.SocketError(Libc.LastError);
        var handle = new FileDescriptor(fd);
        try
        {
            var nodelay = 1;
            Libc.SetSockOpt(handle, Libc.IPPROTO_TCP, Libc.TCP_NODELAY, &nodelay, sizeof(int));
            var address = stackalloc byte[28];
            var length = Libc.WriteSocketAddress(endPoint, new Span<byte>(address, 28));
            pending = false;
            if (Libc.Connect(handle, address, length) != 0)
            {
                var errno = Libc.LastError;
                if (errno != Libc.EINPROGRESS && errno != Libc.EINTR) throw Libc.SocketError(errno);
                pending = true;
            }
            return new LoopSocket(loop, handle);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private unsafe void ThrowIfConnectFailed()
    {
        ThrowIfClosed(_writable);
        int error = 0, length = sizeof(int);
        if (Libc.GetSockOpt(Handle, Libc.SOL_SOCKET, Libc.SO_ERROR, &error, &length) != 0) error = Libc.LastError;
        if (error != 0) throw Libc.SocketError(error);
    }

    /// <summary>Shuts both directions (the peer sees FIN, pending waits wake up); the descriptor stays open until <see cref="Dispose"/>.</summary>
    public void Shutdown() => Shutdown(Libc.SHUT_RDWR);

    /// <summary>Ends sending (the peer reads end of stream); receiving goes on.</summary>
    public void ShutdownSend() => Shutdown(Libc.SHUT_WR);

    /// <summary>Sends a pending ACK at once (TCP_QUICKACK; the kernel may go back to delaying ACKs later, so it is set per wait).</summary>
    public unsafe void AcknowledgeNow()
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        var on = 1;
        try
        {
            Libc.SetSockOpt(Handle, Libc.IPPROTO_TCP, Libc.TCP_QUICKACK, &on, sizeof(int)); // a failure only means the ACK waits for its timer
        }
        catch (ObjectDisposedException)
        {
            // closed meanwhile: nothing to acknowledge
        }
    }

    private void Shutdown(int how)
    {
        if (Volatile.Read(ref _disposed) != 0) return;
        try
        {
            Libc.Shutdown(Handle, how);
        }
        catch (ObjectDisposedException)
        {
        }
    }

    public unsafe EndPoint? LocalEndPoint
    {
        get
        {
            var address = stackalloc byte[128];
            var length = 128;
            return Libc.GetSockName(Handle, address, &length) == 0 ? Libc.ReadSocketAddress(new ReadOnlySpan<byte>(address, length)) : null;
        }
    }

    private static void ThrowIfClosed(ReadinessSignal signal)
    {
        if (signal.IsClosed) throw new ObjectDisposedException(nameof(LoopSocket));
    }

    /// <summary>Closes the socket; a receive or send waiting on it fails with <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Claims the registration too: a wait racing with the close must not register a closing descriptor.
        if (Interlocked.Exchange(ref _registered, 1) == 1) Loop.Unregister(this);
        // The descriptor closes first (once no syscall holds it), so a waiter woken below fails at once.
        Handle.Dispose();
        _readable.Close();
        _writable.Close();
    }
}
