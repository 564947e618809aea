namespace Drover.Node.Pools;

/// <summary>Messages to and from a <see cref="PoolActor"/>.</summary>
public static class PoolProtocol
{
    /// <summary>Told by the data path: a connection to this backend could not be made.</summary>
    public sealed record ConnectFailed(string BackendId, string Reason);

    /// <summary>Asks for the pool's state (CLI, tests); answered with <see cref="PoolState"/>.</summary>
    public sealed record GetState
    {
        public static readonly GetState Instance = new();
    }

    public sealed record PoolState(string Pool, string Balance, long Version, IReadOnlyList<BackendState> Backends);

    public sealed record BackendState(
        string Id,
        string Address,
        int Weight,
        bool Candidate,
        long Active,
        long Requests,
        long Failures,
        double LatencyEwmaMs);
}
