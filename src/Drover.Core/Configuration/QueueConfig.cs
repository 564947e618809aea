namespace Drover.Core.Configuration;

/// <summary>
/// A pool's <c>queue { size, timeout }</c>: where requests wait when every usable backend is at
/// <c>max-connections</c>. A request that finds the queue full, or waits longer than the timeout,
/// gets 503 (HTTP) or is closed (TCP).
/// </summary>
public sealed record QueueConfig(int Size, TimeSpan Timeout)
{
    public const int MaxSize = 1_000_000;

    public static readonly QueueConfig Default = new(1000, TimeSpan.FromSeconds(5));
}
