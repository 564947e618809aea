using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Drover.Core.Io;

/// <summary>
/// The Linux calls the event loop makes itself (epoll and non-blocking socket I/O). Every
/// call that takes a socket takes its <see cref="SafeHandle"/>, so a socket closed by another
/// thread can never be confused with a new one that got the same descriptor number.
/// </summary>
internal static unsafe partial class Libc
{
    private const string Library = "libc";

    public const int EINTR = 4;
    public const int EAGAIN = 11;
    public const int EINPROGRESS = 115;

    public const int EPOLL_CLOEXEC = 0x80000;
    public const int EPOLL_CTL_ADD = 1;
    public const uint EPOLLIN = 0x001;
    public const uint EPOLLOUT = 0x004;
    public const uint EPOLLERR = 0x008;
    public const uint EPOLLHUP = 0x010;
    public const uint EPOLLRDHUP = 0x2000;
    public const uint EPOLLET = 0x80000000;

    public const int SOCK_STREAM = 1;
    public const int SOCK_NONBLOCK = 0x800;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int AF_INET = 2;
    public const int AF_INET6 = 10;
    public const int IPPROTO_TCP = 6;
    public const int TCP_NODELAY = 1;
    public const int TCP_QUICKACK = 12;
    public const int SOL_SOCKET = 1;
    public const int SO_ERROR = 4;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int SHUT_WR = 1;
    public const int SHUT_RDWR = 2;
    public const int O_NONBLOCK = 0x800;
    public const int O_CLOEXEC = 0x80000;
    public const uint SPLICE_F_MOVE = 1;
    public const uint SPLICE_F_NONBLOCK = 2;
    public const uint SPLICE_F_MORE = 4;

    /// <summary>x86-64 packs epoll_event to 12 bytes; other 64-bit targets align it to 16.</summary>
    public static readonly int EpollEventSize = RuntimeInformation.ProcessArchitecture == Architecture.X64 ? 12 : 16;

    private static readonly int EpollDataOffset = EpollEventSize == 12 ? 4 : 8;

    public static void WriteEpollEvent(byte* at, uint events, ulong data)
    {
        *(uint*)at = events;
        *(ulong*)(at + EpollDataOffset) = data;
    }

    public static (uint Events, ulong Data) ReadEpollEvent(byte* at) => (*(uint*)at, *(ulong*)(at + EpollDataOffset));

    [LibraryImport(Library, EntryPoint = "epoll_create1", SetLastError = true)]
    public static partial int EpollCreate(int flags);

    [LibraryImport(Library, EntryPoint = "epoll_ctl", SetLastError = true)]
    public static partial int EpollCtl(int epfd, int op, SafeHandle fd, byte* ev);

    [LibraryImport(Library, EntryPoint = "epoll_wait", SetLastError = true)]
    public static partial int EpollWait(int epfd, byte* events, int maxEvents, int timeout);

    [LibraryImport(Library, EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport(Library, EntryPoint = "recv", SetLastError = true)]
    public static partial nint Recv(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "send", SetLastError = true)]
    public static partial nint Send(SafeHandle fd, byte* buffer, nint length, int flags);

    [LibraryImport(Library, EntryPoint = "sendmsg", SetLastError = true)]
    private static partial nint SendMsg(SafeHandle fd, MsgHdr* message, int flags);

    /// <summary>
    /// Gathers <paramref name="vectors"/> into one send. sendmsg rather than writev: a socket's writev goes
    /// through the VFS layer first, which costs measurably more per call on the data path.
    /// </summary>
    public static nint SendVectors(SafeHandle fd, IoVec* vectors, int count)
    {
        var message = new MsgHdr { Vectors = vectors, VectorCount = count };
        return SendMsg(fd, &message, MSG_NOSIGNAL);
    }

    [LibraryImport(Library, EntryPoint = "accept4", SetLastError = true)]
    public static partial int Accept(SafeHandle fd, byte* address, int* addressLength, int flags);

    [LibraryImport(Library, EntryPoint = "socket", SetLastError = true)]
    public static partial int Socket(int domain, int type, int protocol);

    [LibraryImport(Library, EntryPoint = "connect", SetLastError = true)]
    public static partial int Connect(SafeHandle fd, byte* address, int addressLength);

    [LibraryImport(Library, EntryPoint = "shutdown", SetLastError = true)]
    public static partial int Shutdown(SafeHandle fd, int how);

    [LibraryImport(Library, EntryPoint = "setsockopt", SetLastError = true)]
    public static partial int SetSockOpt(SafeHandle fd, int level, int name, int* value, int length);

    [LibraryImport(Library, EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(SafeHandle fd, int level, int name, int* value, int* length);

    [LibraryImport(Library, EntryPoint = "pipe2", SetLastError = true)]
    public static partial int Pipe2(int* fds, int flags);

    [LibraryImport(Library, EntryPoint = "splice", SetLastError = true)]
    public static partial nint Splice(SafeHandle fdIn, long* offIn, SafeHandle fdOut, long* offOut, nint length, uint flags);

    [LibraryImport(Library, EntryPoint = "getsockname", SetLastError = true)]
    public static partial int GetSockName(SafeHandle fd, byte* address, int* addressLength);

    [StructLayout(LayoutKind.Sequential)]
    public struct IoVec
    {
        public byte* Base;
        public nint Length;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct MsgHdr
    {
        public void* Name;
        public int NameLength;
        public IoVec* Vectors;
        public nint VectorCount;
        public void* Control;
        public nint ControlLength;
        public int Flags;
    }

    public static int LastError => Marshal.GetLastPInvokeError();

    /// <summary>The errno as the <see cref="SocketException"/> .NET would throw for it (messages and codes users already know).</summary>
    public static SocketException SocketError(int errno)
    {
        var code = ToSocketError(errno);
        // An errno without a close .NET equivalent keeps its own number and text in the message.
        return code == (int)System.Net.Sockets.SocketError.SocketError
            ? new SocketException(code, $"{Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
            : new SocketException(code);
    }

    private static int ToSocketError(int errno) => errno switch
    {
        104 => (int)System.Net.Sockets.SocketError.ConnectionReset,
        32 => (int)System.Net.Sockets.SocketError.Shutdown,           // EPIPE: the peer is gone
        111 => (int)System.Net.Sockets.SocketError.ConnectionRefused,
        110 => (int)System.Net.Sockets.SocketError.TimedOut,
        113 => (int)System.Net.Sockets.SocketError.HostUnreachable,
        101 => (int)System.Net.Sockets.SocketError.NetworkUnreachable,
        103 => (int)System.Net.Sockets.SocketError.ConnectionAborted,
        107 => (int)System.Net.Sockets.SocketError.NotConnected,
        9 => (int)System.Net.Sockets.SocketError.OperationAborted,   // EBADF: closed under us
        24 or 23 => (int)System.Net.Sockets.SocketError.TooManyOpenSockets,
        105 or 12 => (int)System.Net.Sockets.SocketError.NoBufferSpaceAvailable, // ENOBUFS, ENOMEM
        99 => (int)System.Net.Sockets.SocketError.AddressNotAvailable,      // e.g. out of ephemeral ports
        98 => (int)System.Net.Sockets.SocketError.AddressAlreadyInUse,
        97 => (int)System.Net.Sockets.SocketError.AddressFamilyNotSupported,
        22 => (int)System.Net.Sockets.SocketError.InvalidArgument,
        _ => (int)System.Net.Sockets.SocketError.SocketError,
    };

    /// <summary>Fills a sockaddr_in or sockaddr_in6 (at most 28 bytes) and returns its length.</summary>
    public static int WriteSocketAddress(IPEndPoint endPoint, Span<byte> into)
    {
        into.Clear();
        var port = (ushort)endPoint.Port;
        if (endPoint.AddressFamily == AddressFamily.InterNetwork)
        {
            into[0] = AF_INET; // sa_family is host order (little-endian on every target this runs on)
            into[2] = (byte)(port >> 8);
            into[3] = (byte)port;
            endPoint.Address.TryWriteBytes(into[4..8], out _);
            return 16;
        }
        into[0] = AF_INET6;
        into[2] = (byte)(port >> 8);
        into[3] = (byte)port;
        endPoint.Address.TryWriteBytes(into[8..24], out _);
        var scope = (uint)endPoint.Address.ScopeId;
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32LittleEndian(into[24..28], scope);
        return 28;
    }

    public static IPEndPoint? ReadSocketAddress(ReadOnlySpan<byte> address)
    {
        if (address.Length < 2) return null;
        var family = address[0] | address[1] << 8;
        var port = address.Length >= 4 ? address[2] << 8 | address[3] : 0;
        if (family == AF_INET && address.Length >= 8) return new IPEndPoint(new IPAddress(address[4..8]), port);
        if (family == AF_INET6 && address.Length >= 28)
            return new IPEndPoint(new IPAddress(address[8..24], System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(address[24..28])), port);
        return null;
    }
}
