namespace Drover.Core.Configuration;

/// <summary>A pool's <c>timeouts { connect, request-headers, response, idle }</c>.</summary>
/// <param name="Connect">Establishing a TCP connection to a backend.</param>
/// <param name="Response">HTTP: longest wait for backend activity (headers or the next body bytes) before 504.</param>
/// <param name="Idle">TCP: a proxied connection with no bytes either way for this long is closed. HTTP: a
/// client's keep-alive connection with no request for this long is closed.</param>
public sealed record TimeoutsConfig(TimeSpan Connect, TimeSpan Response, TimeSpan Idle)
{
    public static readonly TimeoutsConfig Default =
        new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));

    /// <summary>
    /// HTTP: a client must send a whole request head within this long of its first byte, or gets 408
    /// and is closed (slowloris). The head arrives before the route is known, so a listener uses the
    /// shortest value among the pools its routes reach.
    /// </summary>
    public TimeSpan RequestHeaders { get; init; } = TimeSpan.FromSeconds(10);
}
