using System.Net;
using Drover.Core.Buffers;
using Drover.Core.Io;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Io;

/// <summary>
/// Kestrel's transport for L7 listeners when <c>drover.io.engine = epoll</c>: connections driven by
/// Drover's <see cref="EventLoop"/>s instead of .NET's socket engine. Kestrel's HTTP stack, TLS and
/// connection middleware run on top unchanged. A <see cref="IConnectionFrontDoor"/> in the services
/// (the listener's HTTP/1.1 fast path) serves connections before Kestrel does; see <see cref="LoopConnectionListener"/>.
/// </summary>
internal sealed class LoopTransportFactory(ILoggerFactory loggerFactory, IConnectionFrontDoor? frontDoor = null) : IConnectionListenerFactory, IConnectionListenerFactorySelector
{
    /// <summary>4 KiB pinned blocks, as Kestrel's own pool; at most 4 MiB kept after a burst (a steady 64-connection load keeps about 130 in use).</summary>
    internal static readonly BlockMemoryPool Pool = new(4096, 1024);

    private readonly ILogger _logger = loggerFactory.CreateLogger("Drover.Io");

    public bool CanBind(EndPoint endpoint) => endpoint is IPEndPoint;

    public ValueTask<IConnectionListener> BindAsync(EndPoint endpoint, CancellationToken cancellationToken = default)
    {
        if (endpoint is not IPEndPoint ip) throw new NotSupportedException($"the epoll engine listens on IP addresses only, not {endpoint}");
        return ValueTask.FromResult<IConnectionListener>(new LoopConnectionListener(ip, EventLoopGroup.Shared, Pool, _logger, frontDoor));
    }
}
