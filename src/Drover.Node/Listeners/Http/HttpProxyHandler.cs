using System.Diagnostics;
using Drover.Core.Balancing;
using Drover.Core.Health;
using Drover.Core.Routing;
using Drover.Node.AccessLog;
using Drover.Node.Pools;
using Drover.Node.Sessions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Yarp.ReverseProxy.Forwarder;

namespace Drover.Node.Listeners.Http;

/// <summary>
/// The L7 data path for one listener: match a route, read the pool's snapshot, pick a backend with a
/// free slot (or wait in the pool's queue) and forward with YARP's <see cref="IHttpForwarder"/>.
/// A failed attempt goes to a different backend when <c>retries.on</c> names its kind, tries remain
/// and the pool's retry budget allows: a connect failure always may (the backend received nothing);
/// a reset before any response, or a 502/503/504, only for a bodiless request whose method is not
/// POST or PATCH. Backend faults are reported to the pool actor; a client's abort never is. No locks
/// and no actor round trip on this path.
/// </summary>
public sealed class HttpProxyHandler(RouteTable<PoolHandle> routes, IHttpForwarder forwarder, string listener = "", AccessLogWriter? accessLog = null)
{
    private readonly AccessLogWriter _accessLog = accessLog ?? AccessLogWriter.Disabled;

    private RouteTable<PoolHandle> _routes = routes;

    /// <summary>Read once per request; a reload swaps it (<see cref="IListenerServer.Reroute"/>).</summary>
    public RouteTable<PoolHandle> Routes
    {
        get => Volatile.Read(ref _routes);
        set => Volatile.Write(ref _routes, value);
    }

    public async Task HandleAsync(HttpContext context)
    {
        if (!_accessLog.Enabled)
        {
            await HandleAsync(context, null);
            return;
        }
        var record = new RequestRecord();
        var started = Stopwatch.GetTimestamp();
        try
        {
            await HandleAsync(context, record);
        }
        finally
        {
            WriteAccessLog(context, record, started);
        }
    }

    /// <summary>The listener's counters, for body bytes; set once by the server before it starts.</summary>
    public ListenerCounters? Counters { get; set; }

    /// <summary>What the access log needs to know beyond the HttpContext; allocated only when the log is on.</summary>
    private sealed class RequestRecord
    {
        public string? Pool;
        public string? Backend;
        public double QueueMs = -1;
        // YARP's forwarder does not report when the response head arrived, so the full pipeline
        // logs ttfb as "-" rather than a figure that would include the body.
        public double TtfbMs = -1;
        public int Retries;
        public AccessLogEnd End = AccessLogEnd.Ok;
    }

    private void WriteAccessLog(HttpContext context, RequestRecord record, long started)
    {
        var request = context.Request;
        var end = record.End == AccessLogEnd.Ok && context.RequestAborted.IsCancellationRequested ? AccessLogEnd.ClientAbort : record.End;
        var connection = context.Connection;
        _accessLog.Write(new AccessLogEntry(DateTime.UtcNow, Tcp: false, $"{connection.RemoteIpAddress}:{connection.RemotePort}", listener,
            record.Pool, record.Backend, request.Method, $"{request.PathBase}{request.Path}{request.QueryString}", context.Response.StatusCode,
            request.ContentLength ?? -1, context.Response.ContentLength ?? -1, record.QueueMs, ConnectMs: -1, record.TtfbMs,
            Stopwatch.GetElapsedTime(started).TotalMilliseconds, record.Retries, end));
    }

    private async Task HandleAsync(HttpContext context, RequestRecord? record)
    {
        var request = context.Request;
        if (H2cPriorKnowledge.IsH2c(context)) request.Scheme = "http"; // the h2c marker looks like TLS to Kestrel
        var headers = new RequestHeaders(request.Headers);
        var route = Routes.Match(request.Host.Value ?? "", request.Path.Value ?? "/", request.Method, ref headers);
        if (route is null)
        {
            if (record is not null) record.End = AccessLogEnd.NoRoute;
            await RespondAsync(context, StatusCodes.Status404NotFound, "no route matches this request");
            return;
        }

        var pool = route.Target;
        if (record is not null) record.Pool = pool.Name;
        var snapshot = pool.Snapshot;
        var pick = new PickContext(snapshot.NeedsHash ? RequestHashing.Hash(snapshot.Config.HashKey, context) : 0);
        var sticky = pool.Sessions is { } sessions ? await StickyRequest.ForHttpAsync(sessions, context, snapshot) : null;
        var safeToResend = IsSafeToResend(context);
        var maxTries = pool.Retries.MaxTries;
        var statusRetries = safeToResend && (pool.Retries.On & (RetryOn.Status502 | RetryOn.Status503 | RetryOn.Status504)) != 0 && maxTries > 1;
        StatusRetryFeature? statusRetry = null;
        var connectFailures = 0;

        for (var attempt = 0; attempt < maxTries; attempt++)
        {
            var waited = Stopwatch.GetTimestamp();
            var acquired = sticky is null
                ? await pool.AcquireAsync(snapshot, pick, context.RequestAborted)
                : await sticky.AcquireAsync(snapshot, pick, context.RequestAborted);
            if (record is not null && attempt == 0) record.QueueMs = Stopwatch.GetElapsedTime(waited).TotalMilliseconds;
            if (acquired.Backend is not { } backend)
            {
                if (record is not null)
                    record.End = acquired.Failure switch
                    {
                        AcquireFailure.QueueFull => AccessLogEnd.QueueFull,
                        AcquireFailure.QueueTimeout => AccessLogEnd.QueueTimeout,
                        _ when attempt == 0 => AccessLogEnd.NoBackend,
                        _ when connectFailures == attempt => AccessLogEnd.ConnectFailed,
                        _ => AccessLogEnd.BackendReset,
                    };
                await RespondUnavailableAsync(context, pool, acquired.Failure, attempt, connectFailures);
                return;
            }
            if (record is not null)
            {
                record.Backend = backend.Id;
                record.Retries = attempt;
            }
            snapshot = acquired.Snapshot;
            if (attempt > 0) backend.OnRetry();
            if (statusRetries)
            {
                statusRetry ??= new StatusRetryFeature(pool);
                statusRetry.Armed = attempt + 1 < maxTries;
                statusRetry.DiscardedStatus = 0;
                context.Features.Set(statusRetry);
            }

            sticky?.OnAttempt(backend);
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
                if (statusRetry is { DiscardedStatus: > 0 } discarded)
                {
                    // Retried by status: the transformer dropped the response and took a retry from the budget.
                    backend.CountStatus(discarded.DiscardedStatus);
                    pool.ReportFailure(backend, $"status {discarded.DiscardedStatus}");
                    context.Response.Clear();
                    pick = pick.Exclude(acquired.Index);
                    continue;
                }
                var status = context.Response.StatusCode;
                backend.CountStatus(status);
                if (status >= 500) pool.ReportFailure(backend, $"status {status}");
                else backend.OnSuccess();
                backend.RecordLatency(Stopwatch.GetTimestamp() - started);
                CountBodies(context, backend, status);
                return;
            }

            sticky?.OnAttempt(null);
            var exception = context.Features.Get<IForwarderErrorFeature>()?.Exception;
            if (IsClientFault(context, error))
            {
                if (record is not null) record.End = AccessLogEnd.ClientAbort;
                return; // YARP has answered (or the client is gone); not the backend's fault
            }

            var connectFailed = BackendConnectException.IsConnectFailure(exception);
            pool.ReportFailure(backend, Describe(error, exception, connectFailed));
            if (record is not null)
                record.End = connectFailed ? AccessLogEnd.ConnectFailed
                    : error == ForwarderError.RequestTimedOut ? AccessLogEnd.ResponseTimeout
                    : error is ForwarderError.ResponseHeaders ? AccessLogEnd.BadResponse
                    : AccessLogEnd.BackendReset;
            if (connectFailed)
            {
                connectFailures++;
                if (sticky is not null) await sticky.OnConnectFailedAsync(backend, snapshot);
            }

            var retryKind = connectFailed ? RetryOn.ConnectFailure
                : error == ForwarderError.Request && safeToResend ? RetryOn.ResetBeforeResponse
                : RetryOn.None;
            if (retryKind == RetryOn.None || context.Response.HasStarted || attempt + 1 >= maxTries || !pool.MayRetry(retryKind))
            {
                if (connectFailed) await RespondAsync(context, StatusCodes.Status502BadGateway, $"no backend of pool '{pool.Name}' could be connected", replace: true);
                return; // otherwise YARP's 502/504 stands
            }

            // The backend received nothing, or answered nothing to a request that is safe to send
            // again: clear YARP's error response and try another backend.
            context.Response.Clear();
            context.Features.Set<IForwarderErrorFeature>(null);
            if (record is not null) record.End = AccessLogEnd.Ok;
            pick = pick.Exclude(acquired.Index);
        }
    }

    /// <summary>
    /// Body bytes of a forwarded request and its response, from their Content-Length: YARP reports no
    /// byte counts, and wrapping the streams would allocate per request. Bodies without a length
    /// (chunked, or an HTTP/2 stream without the header) are not counted on this path.
    /// </summary>
    private void CountBodies(HttpContext context, Core.Pools.Backend backend, int status)
    {
        var bodyIn = context.Request.ContentLength ?? 0;
        var bodyOut = status is 204 or 304 || HttpMethods.IsHead(context.Request.Method) ? 0 : context.Response.ContentLength ?? 0;
        if (bodyIn > 0)
        {
            backend.AddBytesIn(bodyIn);
            Counters?.AddBytesIn(bodyIn);
        }
        if (bodyOut > 0)
        {
            backend.AddBytesOut(bodyOut);
            Counters?.AddBytesOut(bodyOut);
        }
    }

    /// <summary>A request that may be sent again: no body, and a method that is not POST or PATCH.</summary>
    private static bool IsSafeToResend(HttpContext context) =>
        context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == false
        && !HttpMethods.IsPost(context.Request.Method)
        && !HttpMethods.IsPatch(context.Request.Method);

    /// <summary>The client went away, cancelled, or sent a broken body: the backend is not to blame.</summary>
    private static bool IsClientFault(HttpContext context, ForwarderError error) =>
        context.RequestAborted.IsCancellationRequested ||
        error is ForwarderError.RequestCanceled or ForwarderError.RequestBodyCanceled or ForwarderError.RequestBodyClient
            or ForwarderError.ResponseBodyCanceled or ForwarderError.ResponseBodyClient
            or ForwarderError.UpgradeRequestCanceled or ForwarderError.UpgradeRequestClient
            or ForwarderError.UpgradeResponseCanceled or ForwarderError.UpgradeResponseClient;

    private static string Describe(ForwarderError error, Exception? exception, bool connectFailed) =>
        connectFailed ? exception?.GetBaseException().Message ?? "connect failed"
        : error switch
        {
            ForwarderError.RequestTimedOut => "response timeout",
            ForwarderError.Request => "closed or reset before responding",
            ForwarderError.ResponseBodyDestination => "failed while sending the response body",
            ForwarderError.ResponseHeaders => "invalid response headers",
            _ => error.ToString(),
        };

    private static Task RespondUnavailableAsync(HttpContext context, PoolHandle pool, AcquireFailure failure, int attempt, int connectFailures) => failure switch
    {
        AcquireFailure.QueueFull => RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"pool '{pool.Name}' is at max-connections and its queue is full", replace: true),
        AcquireFailure.QueueTimeout => RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"pool '{pool.Name}' is at max-connections; no slot within the queue timeout", replace: true),
        _ when attempt == 0 => RespondAsync(context, StatusCodes.Status503ServiceUnavailable, $"pool '{pool.Name}' has no usable backend", replace: true),
        _ when connectFailures == attempt => RespondAsync(context, StatusCodes.Status502BadGateway, $"no backend of pool '{pool.Name}' could be connected", replace: true),
        _ => RespondAsync(context, StatusCodes.Status502BadGateway, $"every backend of pool '{pool.Name}' failed this request", replace: true),
    };

    private static Task RespondAsync(HttpContext context, int status, string message, bool replace = false)
    {
        if (context.Response.HasStarted) return Task.CompletedTask;
        if (replace) context.Response.Clear();
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers["X-Drover-Error"] = message;
        return context.Response.WriteAsync($"drover: {message}\n");
    }
}
