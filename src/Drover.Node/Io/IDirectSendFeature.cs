using Drover.Core.Io;

namespace Drover.Node.Io;

/// <summary>
/// A <see cref="LoopConnection"/> whose output's one writer may send straight to the socket once
/// everything it wrote to the output pipe has been sent: the bytes skip the pipe (a copy, its locks)
/// and the send loop's wake-up, as HAProxy sends from its buffer without a queue in between. What the
/// socket does not take at once goes through the pipe as before, so order is kept.
/// </summary>
public interface IDirectSendFeature
{
    /// <summary>
    /// Sends what the socket takes now of <paramref name="first"/> then <paramref name="second"/> and
    /// returns how many bytes that was (the caller writes the rest to the output pipe); -1 when nothing
    /// may be sent directly: fewer than <paramref name="flushed"/> bytes of the pipe's have been sent
    /// yet, or the connection is ending. <paramref name="flushed"/> is the number of bytes the caller has
    /// flushed to the output pipe so far; it must have nothing written there and not flushed. Throws
    /// <see cref="System.Net.Sockets.SocketException"/> when the client has gone.
    /// </summary>
    int TrySendDirect(long flushed, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second);

    /// <summary>
    /// Like <see cref="TrySendDirect"/> for bytes in a kernel pipe: moves what the socket takes now of
    /// <paramref name="pipe"/>'s bytes into it (splice) and returns how many; -1 when nothing may be
    /// sent directly. When bytes are left, wait with <see cref="WaitWritableAsync"/> from <paramref name="writableSeen"/>.
    /// </summary>
    int TrySpliceDirect(long flushed, SplicePipe pipe, out int writableSeen);

    /// <summary>Completes when the socket may take more after a send that left bytes (or when it closes).</summary>
    ValueTask WaitWritableAsync(int writableSeen, CancellationToken cancellationToken);
}
