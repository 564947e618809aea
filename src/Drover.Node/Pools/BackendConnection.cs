using System.Buffers;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Drover.Core.Buffers;
using Drover.Core.Io;
using Drover.Core.Threading;

namespace Drover.Node.Pools;

/// <summary>
/// A kept-alive HTTP/1.1 connection to one backend, driven straight on its socket: one pooled block
/// holds first the request head being sent (this type is its <see cref="IBufferWriter{T}"/>), then
/// the response being read. No stream or pipe sits between the fast path and the socket: each layer
/// cost a state machine per read and a copy, and the exchange is strictly send-then-receive anyway.
/// The block is held only while a request is in flight; an idle pooled connection holds none.
/// Socket failures surface as <see cref="IOException"/>, as they would from a stream.
/// </summary>
public sealed class BackendConnection : IBufferWriter<byte>
{
    // 64 KiB reads: a 64 KiB response arrives in about 3 recv calls instead of 6 with 16 KiB (strace,
    // fixed rate). Blocks come from the proxy's block pool, not the shared ArrayPool, which dozens of
    // requests in flight would overflow into an allocation per request.
    private static readonly BlockMemoryPool Pool = BlockMemoryPool.Proxy;

    /// <summary>A receive into less free space than this first moves the unread bytes to the block's start.</summary>
    private const int MinimumReceive = 16 * 1024;

    private readonly IConnectedSocket _socket;
    private BlockMemoryPool.Block? _block;
    private int _pendingSend; // request bytes written and not yet sent, from the block's start
    private int _start;       // unread response bytes: [_start, _end)
    private int _end;

    public BackendConnection(IConnectedSocket socket) => _socket = socket;

    public BackendConnection(Socket socket) : this(new DotNetSocket(socket))
    {
    }

    /// <summary>When it was last returned to the pool (Environment.TickCount64).</summary>
    public long IdleSince { get; set; }

    /// <summary>Requests served; more than zero means it came from the pool and may have been closed by the backend meanwhile.</summary>
    public int Uses { get; set; }

    /// <summary>Response bytes received and not yet consumed, as one span (a response head always fits in a block).</summary>
    public ReadOnlySpan<byte> Buffered => _block is null ? default : _block.Array.AsSpan(_start, _end - _start);

    public int BufferedLength => _end - _start;

    /// <summary>True when an unread response byte or an unsent request byte remains: such a connection cannot be reused.</summary>
    public bool HasLeftovers => _end > _start || _pendingSend > 0;

    private byte[] Block => (_block ??= Pool.RentBlock()).Array;

    // IBufferWriter<byte>: the request head (and small bodies) gather here until SendAsync.
    public Span<byte> GetSpan(int sizeHint = 0) => Block.AsSpan(_pendingSend, Writable(sizeHint));

    public Memory<byte> GetMemory(int sizeHint = 0) => Block.AsMemory(_pendingSend, Writable(sizeHint));

    public void Advance(int count)
    {
        if ((uint)count > (uint)(Block.Length - _pendingSend)) throw new ArgumentOutOfRangeException(nameof(count));
        _pendingSend += count;
    }

    /// <summary>Free space for the next write; the block stays one span, so a larger write is a caller bug (heads are at most 16 KiB).</summary>
    public int SendSpace => Block.Length - _pendingSend;

    private int Writable(int sizeHint)
    {
        if (_end > _start) throw new InvalidOperationException("a response is still being read on this connection");
        var free = Block.Length - _pendingSend;
        if (sizeHint > free) throw new InvalidOperationException($"{sizeHint} bytes do not fit the {free} left in the send block");
        return free;
    }

    /// <summary>Sends what was written (and nothing else when nothing was).</summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    public async ValueTask SendAsync(CancellationToken cancellationToken)
    {
        if (_pendingSend == 0) return;
        var block = _block!.Array;
        try
        {
            await _socket.SendAsync(block.AsMemory(0, _pendingSend), cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"sending to the backend failed: {ex.Message}", ex);
        }
        _pendingSend = 0;
    }

    /// <summary>Sends <paramref name="data"/> after what was written, without copying it into the block.</summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        await SendAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await _socket.SendAsync(data, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"sending to the backend failed: {ex.Message}", ex);
        }
    }

    /// <summary>Acknowledges the response bytes received so far at once (see <see cref="IConnectedSocket.AcknowledgeNow"/>).</summary>
    public void AcknowledgeNow() => _socket.AcknowledgeNow();

    /// <summary>True when the response's body may be spliced from this connection's socket (Drover's epoll engine).</summary>
    public bool CanSplice => _socket is LoopSocket;

    /// <summary>
    /// Moves up to <paramref name="max"/> body bytes from the socket into <paramref name="pipe"/> (see
    /// <see cref="LoopSocket.TrySpliceTo"/>): the bytes moved, 0 when the backend closed, -1 when none
    /// are there yet (wait with <see cref="WaitReadableAsync"/>). Only with nothing buffered.
    /// </summary>
    public int TrySpliceTo(SplicePipe pipe, int max)
    {
        if (_end != _start) throw new InvalidOperationException("buffered bytes go before spliced ones");
        try
        {
            return ((LoopSocket)_socket).TrySpliceTo(pipe, max);
        }
        catch (SocketException ex)
        {
            throw new IOException($"receiving from the backend failed: {ex.Message}", ex);
        }
    }

    /// <summary>Completes when the backend has sent more (or closed).</summary>
    public ValueTask WaitReadableAsync(CancellationToken cancellationToken) => _socket.WaitReadableAsync(cancellationToken);

    /// <summary>
    /// Receives more response bytes after those buffered, at most <paramref name="max"/> of them. Returns
    /// how many arrived: 0 means the backend closed, or the block is full of unconsumed bytes (a head
    /// larger than any valid one).
    /// </summary>
    [AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder<>))]
    public async ValueTask<int> ReceiveAsync(CancellationToken cancellationToken, int max = int.MaxValue)
    {
        var room = Room(max);
        if (room.IsEmpty) return 0;
        int received;
        try
        {
            received = await _socket.ReceiveAsync(room, cancellationToken).ConfigureAwait(false);
        }
        catch (SocketException ex)
        {
            throw new IOException($"receiving from the backend failed: {ex.Message}", ex);
        }
        _end += received;
        return received;
    }

    /// <summary>
    /// Receives, without waiting, up to <paramref name="max"/> response bytes that have already arrived:
    /// 0 when there are none now (epoll reported the socket drained: no syscall), the backend closed,
    /// or the socket cannot tell without waiting (a .NET socket).
    /// </summary>
    public int ReceiveAvailable(int max)
    {
        if (_socket is not LoopSocket { MayBeReadable: true } socket) return 0;
        var room = Room(max);
        if (room.IsEmpty) return 0;
        try
        {
            if (!socket.TryReceiveNow(room.Span, out var received)) return 0;
            _end += received;
            return received;
        }
        catch (SocketException ex)
        {
            throw new IOException($"receiving from the backend failed: {ex.Message}", ex);
        }
    }

    /// <summary>Where the next receive goes, at most <paramref name="max"/> bytes (empty: the block is full of unread bytes).</summary>
    private Memory<byte> Room(int max)
    {
        if (_pendingSend > 0) throw new InvalidOperationException("the request was written but not sent");
        var block = Block;
        if (_start == _end)
        {
            _start = _end = 0;
        }
        else if (block.Length - _end < MinimumReceive && _start > 0)
        {
            block.AsSpan(_start, _end - _start).CopyTo(block);
            _end -= _start;
            _start = 0;
        }
        return block.AsMemory(_end, Math.Min(max, block.Length - _end));
    }

    /// <summary>Marks <paramref name="count"/> buffered bytes as relayed.</summary>
    public void Consume(int count)
    {
        if ((uint)count > (uint)(_end - _start)) throw new ArgumentOutOfRangeException(nameof(count));
        _start += count;
    }

    /// <summary>Gives the block back between requests (nothing may be left in it).</summary>
    public void ReleaseBuffer()
    {
        if (HasLeftovers) throw new InvalidOperationException("bytes are still buffered on this connection");
        _start = _end = 0;
        var block = _block;
        _block = null;
        block?.Dispose();
    }

    /// <summary>Closes at once, without flushing (the connection is broken, finished, or its state unknown).</summary>
    public void Abort()
    {
        _socket.Dispose();
        _start = _end = _pendingSend = 0;
        var block = _block;
        _block = null;
        block?.Dispose();
    }
}
