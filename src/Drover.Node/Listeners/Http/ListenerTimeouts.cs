using Drover.Core.Configuration;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// The client-side timeouts of an HTTP listener. A request head arrives before its route (and so its
/// pool) is known, so a listener applies the shortest <c>timeouts.request-headers</c> and
/// <c>timeouts.idle</c> among the pools its routes reach.
/// </summary>
/// <param name="RequestHeaders">From a request's first byte to its complete head; then 408 and close.</param>
/// <param name="Idle">A keep-alive connection with no request for this long is closed.</param>
public sealed record ListenerTimeouts(TimeSpan RequestHeaders, TimeSpan Idle)
{
    public static readonly ListenerTimeouts Default = new(TimeoutsConfig.Default.RequestHeaders, TimeoutsConfig.Default.Idle);

    public static ListenerTimeouts For(IEnumerable<PoolConfig> pools)
    {
        var list = pools.ToList();
        if (list.Count == 0) return Default;
        return new ListenerTimeouts(list.Min(p => p.Timeouts.RequestHeaders), list.Min(p => p.Timeouts.Idle));
    }
}
