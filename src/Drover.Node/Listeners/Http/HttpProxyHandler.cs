using System.Diagnostics;
using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Routing;
using Drover.Node.Pools;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// The L7 data path for one listener: match a route, read the pool's snapshot, pick a backend and
/// forward with YARP's <see cref="IHttpForwarder"/>. A request whose connection to the backend
/// could not be made (so the backend received nothing), or a bodiless idempotent request that the
/// backend dropped without answering, goes to another backend. No locks and no
/// actor round trip; what the actors need to know is told, not asked.
/// </summary>
public sealed class HttpProxyHandler(RouteTable<PoolHandle> routes, IHttpForwarder forwarder)
{
    /// <summary>Attempts per request, each on a different backend.</summary>
    public const int MaxConnectAttempts = 3;

    public RouteTable<PoolHandle> Routes { get; } = routes;

    public async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (H2cPriorKnowledge.IsH2c(context)) request.Scheme = "http"; // the h2c marker looks like TLS to Kestrel
        var headers = new RequestHeaders(request.Headers);
        var route = Routes.Match(request.Host.Value ?? "", request.Path.Value ?? "/", request.Method, ref headers);
        if (route is null)
        {
            await RespondAsync(context, StatusCodes.Status404NotFound, "no route matches this request");
            return;
        }

        var pool = route.Target;
        var snapshot = pool.Snapshot;
        var pick = new PickContext(snapshot.NeedsHash ? RequestHashing.Hash(snapshot.Config.HashKey, context) : 0);
        var attempts = Math.Min(MaxConnectAttempts, snapshot.Candidates.Length);

        for (var attempt = 0; attempt < attempts; attempt++)
        {
            var index = snapshot.Balancer.Pick(pick);
            if (index < 0) break;
            var backend = snapshot.Candidates[index];

            backend.OnStart();
            var started = Stopwatch.GetTimestamp();
            ForwarderError error;
            try
            {
                error = await forwarder.SendAsync(context, backend.DestinationPrefix, pool.Http, pool.RequestConfig, ForwardedHeadersTransformer.Instance);
            }
            finally
            {
                backend.OnEnd();
            }

            if (error == ForwarderError.None)
            {
                backend.RecordLatency(Stopwatch.GetTimestamp() - started);
                return;
            }

            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            if (!BackendConnectException.IsConnectFailure(exception) && !UnansweredAndSafeToResend(context, error))
            {
                // Not provably unsent (or the client went away): YARP has set 502/504 (or 400 for a client abort).
                if (error is not (ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient))
                    backend.OnFailure();
                return;
            }

            backend.OnFailure();
            pool.Actor.Tell(new PoolProtocol.ConnectFailed(backend.Id, exception?.GetBaseException().Message ?? error.ToString()));
            if (context.Response.HasStarted) return;

            // The backend received nothing, or answered nothing to a request that is safe to send
            // again: clear YARP's error response and try another backend.
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            pick = pick.Exclude(index);
        }

        if (attempts == 0)
            await RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"pool '{pool.Name}' has no usable backend");
        else
            await RespondAsync(context, StatusCodes.Status502BadGateway, $"no backend of pool '{pool.Name}' could be connected");
    }

    /// <summary>
    /// The backend failed before any response (not a timeout, not the client going away), and the
    /// request has no body and a method that may be repeated: sending it elsewhere cannot do harm.
    /// </summary>
    private static bool UnansweredAndSafeToResend(HttpContext context, ForwarderError error) =>
        error == ForwarderError.Request
        && !context.RequestAborted.IsCancellationRequested
        && !context.Response.HasStarted
        && context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false
        && !HttpMethods.IsPost(context.Request.Method)
        && !HttpMethods.IsPatch(context.Request.Method);

    private static Task RespondAsync(HttpContext context, int status, string message)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Drover-Error"] = message;
        return context.Response.WriteAsync($"drover: {message}\n");
    }
}
