using System.Net.Sockets;
using Drover.Core.Io;
using Drover.Core.Threading;

namespace Drover.Node.Pools;

/// <summary>A connected <see cref="Socket"/> driven by .NET's socket engine (the default engine, and any backend given by host name).</summary>
public sealed class DotNetSocket(Socket socket) : IConnectedSocket
{
    public Socket Socket { get; } = socket;

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    public async ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        while (!data.IsEmpty)
            data = data[await Socket.SendAsync(data, SocketFlags.None, cancellationToken).ConfigureAwait(false)..];
    }

    public ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken) =>
        Socket.ReceiveAsync(buffer, SocketFlags.None, cancellationToken);

    [System.Runtime.CompilerServices.AsyncMethodBuilder(typeof(PerThreadPoolingValueTaskMethodBuilder))]
    public async ValueTask WaitReadableAsync(CancellationToken cancellationToken) =>
        await Socket.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None, cancellationToken).ConfigureAwait(false);

    public void ShutdownSend() => Socket.Shutdown(SocketShutdown.Send);

    public void AcknowledgeNow()
    {
        // TCP_QUICKACK (Linux: level IPPROTO_TCP 6, option 12); .NET has no name for it. A failure only means the ACK waits for its timer.
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            Span<byte> on = stackalloc byte[sizeof(int)];
            BitConverter.TryWriteBytes(on, 1);
            Socket.SetRawSocketOption(6, 12, on);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
        }
    }

    public void Shutdown() => Socket.Shutdown(SocketShutdown.Both);

    public void Dispose() => Socket.Dispose();
}
