namespace Drover.Core.Io;

/// <summary>A connected stream socket as the data path uses it: send all, receive some, close.</summary>
public interface IConnectedSocket : IDisposable
{
    /// <summary>Sends every byte of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Receives at least one byte into <paramref name="buffer"/>; 0 means the peer closed.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);
}
