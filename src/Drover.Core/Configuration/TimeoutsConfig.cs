namespace Drover.Core.Configuration;

/// <summary>A pool's <c>timeouts { connect, response, idle }</c>.</summary>
/// <param name="Connect">Establishing a TCP connection to a backend.</param>
/// <param name="Response">HTTP: longest wait for backend activity (headers or the next body bytes) before 504.</param>
/// <param name="Idle">TCP: a proxied connection with no bytes either way for this long is closed.</param>
public sealed record TimeoutsConfig(TimeSpan Connect, TimeSpan Response, TimeSpan Idle)
{
    public static readonly TimeoutsConfig Default =
        new(TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(60));
}
