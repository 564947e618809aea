using System.Net;
using System.Net.Sockets;
using System.Text;
using Drover.Core.Health;
using Drover.Core.Pools;
using Drover.Node.Pools;

namespace Drover.Node.Health;

/// <summary>
/// An HTTP check: <c>GET path</c> on a new connection; good when the status is in the expected range
/// and, if an expected body text is set, the first <see cref="MaxBodyBytes"/> of the body contain it.
/// </summary>
/// <remarks>
/// Built on <see cref="SocketsHttpHandler"/> rather than a raw HTTP/1.1 client: a probe must read any
/// body framing a backend may choose (chunked, Content-Length, until close), which the handler already
/// does robustly, while the raw parser in Drover.Core would need its own body decoding here. Our connect
/// callback keeps "connect refused" distinct from other errors, and each probe uses a new connection
/// (<c>Connection: close</c>, no pooling), as HAProxy does, so a backend that can no longer accept is seen.
/// </remarks>
internal sealed class HttpHealthProbe : HealthProbe
{
    public const int MaxBodyBytes = 64 * 1024;
    public const string UserAgent = "drover-health/1";

    private readonly HttpMessageInvoker _client;
    private readonly Uri _uri;
    private readonly string _host;
    private readonly byte[] _expectBody;
    private byte[]? _body;

    public HttpHealthProbe(ActiveHealthConfig config, Backend backend) : base(config, backend)
    {
        if (!Uri.TryCreate($"http://{backend.Address.Authority}{config.Path}", UriKind.Absolute, out var uri) || !config.Path.StartsWith('/'))
            throw new ArgumentException($"health.active.path '{config.Path}' is not a request path (backend {backend.Id})", nameof(config));
        _uri = uri;
        _host = config.Host.Length > 0 ? config.Host : backend.Address.Authority;
        _expectBody = Encoding.UTF8.GetBytes(config.ExpectBody);

        var endPoint = backend.EndPoint;
        var handler = new SocketsHttpHandler
        {
            UseProxy = false,
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ActivityHeadersPropagator = null,
            // Never reuse a connection: each probe must show that the backend still accepts new ones.
            PooledConnectionLifetime = TimeSpan.Zero,
            PooledConnectionIdleTimeout = TimeSpan.Zero,
            ConnectTimeout = System.Threading.Timeout.InfiniteTimeSpan, // the probe's deadline bounds everything
            ConnectCallback = async (_, cancellationToken) =>
            {
                var socket = await BackendConnector.ConnectAsync(endPoint, System.Threading.Timeout.InfiniteTimeSpan, cancellationToken)
                    .ConfigureAwait(false);
                return new NetworkStream(socket, ownsSocket: true);
            },
        };
        _client = new HttpMessageInvoker(handler, disposeHandler: true);
    }

    protected override async Task<(bool Ok, string Detail)> ProbeAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _uri)
        {
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Headers.TryAddWithoutValidation("Host", _host);
        request.Headers.ConnectionClose = true;
        request.Headers.TryAddWithoutValidation("User-Agent", UserAgent);

        // SendAsync returns once the head has arrived; the body is read only if it is to be checked.
        using var response = await _client.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var status = (int)response.StatusCode;
        if (!Config.ExpectStatus.Contains(status))
            return (false, $"status {status} (expected {Config.ExpectStatus})");
        if (_expectBody.Length == 0)
            return (true, $"status {status}");

        // Probes of one backend never overlap (the actor sees to that), so one buffer serves them all.
        var body = _body ??= new byte[MaxBodyBytes];
        var length = 0;
        await using (var stream = await response.Content.ReadAsStreamAsync(cancellationToken).ConfigureAwait(false))
        {
            int read;
            while (length < body.Length && (read = await stream.ReadAsync(body.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                length += read;
        }
        return body.AsSpan(0, length).IndexOf(_expectBody) >= 0
            ? (true, $"status {status}")
            : (false, $"body lacks '{Config.ExpectBody}'");
    }

    public override void Dispose() => _client.Dispose();
}
