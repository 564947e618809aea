using Drover.Core.Health;
using Drover.Node.Pools;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// Set on a request whose response may be retried by status (502/503/504, per <c>retries.on</c>):
/// the transformer consults it when the backend's response head arrives, and when the status is
/// retryable and the pool's budget grants a retry, discards the response before anything reaches
/// the client and records the status here for the handler.
/// </summary>
internal sealed class StatusRetryFeature(PoolHandle pool)
{
    /// <summary>False on the last try, whose response the client gets whatever it is.</summary>
    public bool Armed { get; set; }

    /// <summary>The status that was discarded for a retry; 0 when the response went to the client.</summary>
    public int DiscardedStatus { get; set; }

    public bool ShouldDiscard(int status)
    {
        if (!Armed) return false;
        var kind = status switch
        {
            502 => RetryOn.Status502,
            503 => RetryOn.Status503,
            504 => RetryOn.Status504,
            _ => RetryOn.None,
        };
        if (kind == RetryOn.None || !pool.MayRetry(kind)) return false;
        DiscardedStatus = status;
        return true;
    }
}
