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

    /// <summary>
    /// Acknowledges what has arrived now rather than on the delayed-ACK timer (TCP_QUICKACK). A peer
    /// that holds the rest of a message until the data before it is acknowledged (a full send buffer,
    /// Nagle) would otherwise pause up to 40 ms; the relay calls this when it waits for more of a body.
    /// </summary>
    void AcknowledgeNow();

    /// <summary>Ends both directions (the peer sees FIN, waits here wake up); the socket stays open until disposed.</summary>
    void Shutdown();
}
