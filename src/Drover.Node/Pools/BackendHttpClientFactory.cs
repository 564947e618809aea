using System.Net;
using System.Net.Sockets;
using Drover.Core.Configuration;

namespace Drover.Node.Pools;

/// <summary>
/// One long-lived <see cref="HttpMessageInvoker"/> per pool, tuned the way YARP recommends for a
/// proxy: no proxy, redirects, decompression or cookies; pooled keep-alive connections; and our own
/// connect step, so a connect failure is recognisable and safe to retry elsewhere.
/// </summary>
public static class BackendHttpClientFactory
{
    public static HttpMessageInvoker Create(PoolConfig pool)
    {
        var connectTimeout = pool.Timeouts.Connect;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            EnableMultipleHttp2Connections = true,
            ActivityHeadersPropagator = null,
            PooledConnectionIdleTimeout = TimeSpan.FromSeconds(50),
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            ConnectTimeout = Timeout.InfiniteTimeSpan, // ours, in the callback
            ConnectCallback = async (context, cancellationToken) =>
            {
                var endPoint = context.DnsEndPoint;
                EndPoint target = IPAddress.TryParse(endPoint.Host, out var ip) ? new IPEndPoint(ip, endPoint.Port) : endPoint;
                var socket = await BackendConnector.ConnectAsync(target, connectTimeout, cancellationToken).ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        return new HttpMessageInvoker(handler, disposeHandler: true);
    }
}
