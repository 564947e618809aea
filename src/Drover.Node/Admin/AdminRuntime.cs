using System.Net;

namespace Drover.Node.Admin;

/// <summary>
/// What the node (and tests) can see of the admin endpoint without asking an actor: the endpoint it
/// bound (the real port when configured with port 0), and whether shutdown has begun, which makes
/// <c>/readyz</c> fail at once.
/// </summary>
public sealed class AdminRuntime
{
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _shuttingDown;

    /// <summary>Completes with the bound endpoint, or fails (<see cref="AdminBindException"/> when the address cannot be bound).</summary>
    public Task<IPEndPoint> Bound => _bound.Task;

    /// <summary>The bound endpoint, or null before binding (or when the endpoint is disabled or failed).</summary>
    public IPEndPoint? EndPoint => _bound.Task.IsCompletedSuccessfully ? _bound.Task.Result : null;

    /// <summary>True from the first moment of shutdown (CoordinatedShutdown's first phase, or the host stopping).</summary>
    public bool ShuttingDown => _shuttingDown;

    internal void MarkShuttingDown() => _shuttingDown = true;
    internal void MarkBound(IPEndPoint endPoint) => _bound.TrySetResult(endPoint);
    internal void MarkFailed(string reason) => _bound.TrySetException(new AdminBindException(reason));
}

public sealed class AdminBindException(string reason) : Exception($"drover.admin.bind: {reason}")
{
    public string Reason { get; } = reason;
}
