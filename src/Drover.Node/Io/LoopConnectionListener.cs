using System.Buffers;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Drover.Core.Io;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Io;

/// <summary>A listening socket of the <see cref="LoopTransportFactory"/>; accepted connections spread over the loops in turn.</summary>
internal sealed class LoopConnectionListener : IConnectionListener
{
    private readonly Socket _listening;
    private readonly LoopSocket _accepting;
    private readonly EventLoopGroup _loops;
    private readonly MemoryPool<byte> _pool;
    private readonly ILogger _logger;
    private readonly bool _wildcard;
    private int _unbound;

    public LoopConnectionListener(IPEndPoint endPoint, EventLoopGroup loops, MemoryPool<byte> pool, ILogger logger)
    {
        _loops = loops;
        _pool = pool;
        _logger = logger;
        _wildcard = endPoint.Address.Equals(IPAddress.Any) || endPoint.Address.Equals(IPAddress.IPv6Any);
        _listening = new Socket(endPoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            if (endPoint.Address.Equals(IPAddress.IPv6Any)) _listening.DualMode = true;
            _listening.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            _listening.Bind(endPoint);
            _listening.Listen(512);
            EndPoint = _listening.LocalEndPoint!;
            _accepting = LoopSocket.FromListening(loops.Next(), _listening);
        }
        catch (SocketException ex) when (ex.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            _listening.Dispose();
            throw new AddressInUseException(ex.Message, ex);
        }
        catch
        {
            _listening.Dispose();
            throw;
        }
    }

    public EndPoint EndPoint { get; }

    public async ValueTask<ConnectionContext?> AcceptAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            SafeHandle handle;
            IPEndPoint? remote;
            try
            {
                (handle, remote) = await _accepting.AcceptAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or OperationCanceledException || Volatile.Read(ref _unbound) != 0)
            {
                return null; // unbound or disposed: Kestrel stops accepting
            }
            catch (SocketException ex)
            {
                // Out of descriptors or memory (or a protocol error on one connection): what is queued stays
                // in the kernel; try again shortly rather than end the listener, as HAProxy pauses its own.
                var pause = ex.SocketErrorCode is SocketError.TooManyOpenSockets or SocketError.NoBufferSpaceAvailable ? 100 : 10;
                _logger.LogWarning("Accepting on {EndPoint} failed ({Error}); retrying in {Pause} ms", EndPoint, ex.SocketErrorCode, pause);
                try
                {
                    await Task.Delay(pause, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return null;
                }
                continue;
            }
            try
            {
                var socket = LoopSocket.FromConnected(_loops.Next(), handle);
                // Bound to a wildcard address, the connection's own local address needs a getsockname.
                var local = _wildcard ? socket.LocalEndPoint ?? EndPoint : EndPoint;
                var connection = new LoopConnection(socket, local, remote, _pool, _logger);
                connection.Start();
                return connection;
            }
            catch (SocketException ex)
            {
                handle.Dispose();
                _logger.LogWarning("A connection accepted on {EndPoint} could not be registered: {Error}", EndPoint, ex.SocketErrorCode);
            }
        }
    }

    public ValueTask UnbindAsync(CancellationToken cancellationToken = default)
    {
        Volatile.Write(ref _unbound, 1);
        _accepting.Dispose();
        return ValueTask.CompletedTask;
    }

    public ValueTask DisposeAsync()
    {
        Volatile.Write(ref _unbound, 1);
        _accepting.Dispose();
        _listening.Dispose();
        return ValueTask.CompletedTask;
    }
}
