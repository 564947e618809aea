using System.Net;
using System.Net.Sockets;
using Drover.Core.Io;

namespace Drover.Node.Pools;

/// <summary>Opens TCP connections to backends with a connect timeout; used by both the L4 and the L7 path.</summary>
public static class BackendConnector
{
    /// <summary>
    /// A connection for the HTTP fast path: on <paramref name="loop"/> when the client's connection runs on
    /// one (the epoll engine) and the backend has an IP address, otherwise a .NET socket.
    /// </summary>
    public static async ValueTask<IConnectedSocket> ConnectAsync(EndPoint endPoint, TimeSpan timeout, EventLoop? loop, CancellationToken cancellationToken)
    {
        if (loop is null || endPoint is not IPEndPoint ip)
            return new DotNetSocket(await ConnectAsync(endPoint, timeout, cancellationToken).ConfigureAwait(false));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            return await LoopSocket.ConnectAsync(loop, ip, deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new BackendConnectException($"connect to {endPoint} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException ex)
        {
            throw new BackendConnectException($"connect to {endPoint} failed: {ex.SocketErrorCode}", ex);
        }
    }

    public static async ValueTask<Socket> ConnectAsync(EndPoint endPoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await socket.ConnectAsync(endPoint, deadline.Token).ConfigureAwait(false);
            return socket;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new BackendConnectException($"connect to {endPoint} timed out after {timeout.TotalMilliseconds:0} ms");
        }
        catch (SocketException ex)
        {
            socket.Dispose();
            throw new BackendConnectException($"connect to {endPoint} failed: {ex.SocketErrorCode}", ex);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
