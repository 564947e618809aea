using Drover.Core.Health;
using Drover.Core.Pools;
using Drover.Node.Pools;

namespace Drover.Node.Health;

/// <summary>A TCP check: connect, then close. A connect within the timeout is a good check.</summary>
internal sealed class TcpHealthProbe(ActiveHealthConfig config, Backend backend) : HealthProbe(config, backend)
{
    protected override async Task<(bool Ok, string Detail)> ProbeAsync(CancellationToken cancellationToken)
    {
        // The probe's deadline bounds the connect, so the connector gets no timeout of its own
        // (two equal timers would race and word the same timeout two ways).
        using var socket = await BackendConnector.ConnectAsync(Backend.EndPoint, System.Threading.Timeout.InfiniteTimeSpan, cancellationToken)
            .ConfigureAwait(false);
        return (true, "connected");
    }
}
