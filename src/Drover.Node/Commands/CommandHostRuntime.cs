using System.Net;

namespace Drover.Node.Commands;

/// <summary>
/// What the node (and tests) can see of the command host without asking an actor: the endpoint it
/// bound (the real port when configured with port 0), once bound.
/// </summary>
public sealed class CommandHostRuntime
{
    private readonly TaskCompletionSource<IPEndPoint> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Completes with the bound endpoint, or fails (<see cref="CommandHostBindException"/> when the address cannot be bound).</summary>
    public Task<IPEndPoint> Bound => _bound.Task;

    /// <summary>The bound endpoint, or null before binding (or when the host is disabled or failed).</summary>
    public IPEndPoint? EndPoint => _bound.Task.IsCompletedSuccessfully ? _bound.Task.Result : null;

    internal void MarkBound(IPEndPoint endPoint) => _bound.TrySetResult(endPoint);
    internal void MarkFailed(string reason) => _bound.TrySetException(new CommandHostBindException(reason));
    internal void MarkFailed(Exception error) => _bound.TrySetException(error);
}

public sealed class CommandHostBindException(string reason) : Exception($"drover.cmd.bind: {reason}")
{
    public string Reason { get; } = reason;
}
