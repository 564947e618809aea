namespace Drover.Node.Io;

/// <summary>
/// A <see cref="LoopConnection"/> whose receive loop its user can pause: while paused, the loop takes
/// what the socket already holds but does not wait for more. A front door that reads on demand
/// (<see cref="IConnectionFrontDoor.ReceivesOnDemand"/>) pauses it between a request read whole and
/// its response, as HAProxy reads a client only when it wants input: a connection that closes after
/// its response then never has its socket watched by epoll (no epoll_ctl, no event for our own close).
/// </summary>
public interface IReceivePauseFeature
{
    /// <summary>No more input is needed for now (the request in flight was read whole).</summary>
    void PauseReceiving();

    /// <summary>Input is wanted: call before a read that may have to wait for the client.</summary>
    void ResumeReceiving();

    /// <summary>
    /// For a connection whose first request did not come with it: waits until the client sends something and takes it into
    /// the input pipe, without starting the receive loop (a connection that closes after that request then never runs it).
    /// Read the pipe after it; if it has nothing new (the client closed, or the wait was woken by a stop), resume and read as usual.
    /// </summary>
    ValueTask WaitForFirstInputAsync(CancellationToken cancellationToken);
}
