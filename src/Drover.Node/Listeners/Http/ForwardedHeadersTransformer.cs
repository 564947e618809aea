using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Forwarder;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// Copies the request as YARP's empty transformer does (which keeps the client's Host and drops
/// the standard hop-by-hop headers), then also drops headers named in <c>Connection</c> (they are
/// hop-by-hop too, RFC 9110 7.6.1) and adds the proxy headers: <c>X-Forwarded-For</c> appended
/// with the client address, <c>X-Forwarded-Proto</c> and <c>X-Forwarded-Host</c> set. On the way
/// back it drops a response that is to be retried by status (<see cref="StatusRetryFeature"/>).
/// </summary>
public sealed class ForwardedHeadersTransformer : HttpTransformer
{
    public static readonly ForwardedHeadersTransformer Instance = new();

    private const string XForwardedFor = "X-Forwarded-For";
    private const string XForwardedProto = "X-Forwarded-Proto";
    private const string XForwardedHost = "X-Forwarded-Host";

    public override async ValueTask TransformRequestAsync(HttpContext httpContext, HttpRequestMessage proxyRequest, string destinationPrefix, CancellationToken cancellationToken)
    {
        await base.TransformRequestAsync(httpContext, proxyRequest, destinationPrefix, cancellationToken);
        var request = httpContext.Request;

        var connection = request.Headers.Connection;
        if (connection.Count > 0) RemoveConnectionListed(connection, proxyRequest);

        var clientAddress = httpContext.Connection.RemoteIpAddress?.ToString();
        if (clientAddress is not null)
        {
            var prior = request.Headers[XForwardedFor];
            proxyRequest.Headers.Remove(XForwardedFor);
            proxyRequest.Headers.TryAddWithoutValidation(XForwardedFor,
                prior.Count == 0 ? clientAddress : $"{string.Join(", ", prior.ToArray())}, {clientAddress}");
        }

        proxyRequest.Headers.Remove(XForwardedProto);
        proxyRequest.Headers.TryAddWithoutValidation(XForwardedProto, request.Scheme);
        if (request.Host.HasValue)
        {
            proxyRequest.Headers.Remove(XForwardedHost);
            proxyRequest.Headers.TryAddWithoutValidation(XForwardedHost, request.Host.Value);
        }
    }

    /// <summary>Discards a response that <see cref="StatusRetryFeature"/> wants retried on another backend; otherwise copies as usual.</summary>
    public override ValueTask<bool> TransformResponseAsync(HttpContext httpContext, HttpResponseMessage? proxyResponse, CancellationToken cancellationToken)
    {
        if (proxyResponse is not null && httpContext.Features.Get<StatusRetryFeature>() is { } retry && retry.ShouldDiscard((int)proxyResponse.StatusCode))
            return new ValueTask<bool>(false);
        return base.TransformResponseAsync(httpContext, proxyResponse, cancellationToken);
    }

    private static void RemoveConnectionListed(Microsoft.Extensions.Primitives.StringValues connection, HttpRequestMessage proxyRequest)
    {
        foreach (var value in connection)
        {
            if (value is null) continue;
            foreach (var token in value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (token.Equals("close", StringComparison.OrdinalIgnoreCase) ||
                    token.Equals("keep-alive", StringComparison.OrdinalIgnoreCase) ||
                    token.Equals(HeaderNames.Upgrade, StringComparison.OrdinalIgnoreCase)) continue;
                proxyRequest.Headers.Remove(token);
                proxyRequest.Content?.Headers.Remove(token);
            }
        }
    }
}
