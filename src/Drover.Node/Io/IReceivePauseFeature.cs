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
}
