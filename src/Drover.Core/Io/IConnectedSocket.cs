namespace Drover.Core.Io;

/// <summary>A connected stream socket as the data path uses it: send all, receive some, half-close, close.</summary>
public interface IConnectedSocket : IDisposable
{
    /// <summary>Sends every byte of <paramref name="data"/>.</summary>
    ValueTask SendAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Receives at least one byte into <paramref name="buffer"/>; 0 means the peer closed.</summary>
    ValueTask<int> ReceiveAsync(Memory<byte> buffer, CancellationToken cancellationToken);

    /// <summary>Completes when a receive would find data (or the end), without taking any: a waiter holds no buffer.</summary>
    ValueTask WaitReadableAsync(CancellationToken cancellationToken);

    /// <summary>Ends this side's sending (the peer reads end of stream); receiving goes on.</summary>
    void ShutdownSend();

    /// <summary>Ends both directions (the peer sees FIN, waits here wake up); the socket stays open until disposed.</summary>
    void Shutdown();
}
