using Microsoft.AspNetCore.Connections;

namespace Drover.Node.Io;

/// <summary>
/// Serves connections that the <see cref="LoopConnectionListener"/> accepts before Kestrel sees them
/// (the HTTP/1.1 fast path): on the connection's event loop, without Kestrel's per-connection
/// dispatch to the thread pool. Only the connections it gives up on reach Kestrel.
/// </summary>
public interface IConnectionFrontDoor
{
    /// <summary>Serves <paramref name="connection"/> until it ends (false) or must go to Kestrel (true); awaited once.</summary>
    /// <param name="closeRequested">
    /// Fires when the listener stops: finish the request in flight, then close. The listener then also cancels the
    /// pending read of the connection's input (<see cref="System.IO.Pipelines.PipeReader.CancelPendingRead"/>), so an
    /// idle wait wakes without a registration on this token, which every connection of the listener shares.
    /// </param>
    ValueTask<bool> ServeAsync(ConnectionContext connection, CancellationToken closeRequested);

    /// <summary>
    /// True when the door reads on demand: its connections start with their receive loop paused
    /// (<see cref="IReceivePauseFeature"/>), and the door resumes it before any read that may wait for the client.
    /// </summary>
    bool ReceivesOnDemand { get; }

    /// <summary>A connection that was to go to Kestrel closed instead: the listener had stopped accepting.</summary>
    void Dropped(ConnectionContext connection);
}
