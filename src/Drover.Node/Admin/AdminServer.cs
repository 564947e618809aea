using Drover.Node.Hosting;
using System.Net;
using System.Text.Json;
using Drover.Core.Configuration;
using Drover.Node.Admin.Metrics;
using Drover.Node.Admin.Stats;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Prometheus;

namespace Drover.Node.Admin;

/// <summary>
/// The admin endpoint's own small Kestrel app (HTTP/1.1), separate from every listener so that it
/// binds, answers during a drain, and stops on its own schedule:
/// <c>/metrics</c> (Prometheus text, by prometheus-net), <c>/healthz</c>, <c>/readyz</c>,
/// <c>/stats</c> (the live page) and <c>/stats.json</c> (what the page polls: the whole cluster).
/// </summary>
public sealed class AdminServer(AdminConfig config, ILoggerFactory loggerFactory, DroverMetrics metrics, Readiness readiness, ClusterStatsReader stats)
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private static readonly Lazy<byte[]> StatsPage = new(LoadStatsPage);

    private WebApplication? _app;

    public async Task<IPEndPoint> StartAsync(CancellationToken cancellationToken)
    {
        var builder = EmbeddedWebApp.CreateBuilder(); // configured by the drover section, not ASPNETCORE_* variables
        builder.Services.Replace(ServiceDescriptor.Singleton(loggerFactory));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen((IPEndPoint)config.Bind.ToEndPoint(), listen => listen.Protocols = HttpProtocols.Http1);
        });

        var app = builder.Build();
        app.MapGet("/", (RequestDelegate)(context => Text(context, 200,
            "drover admin endpoint\n/metrics     Prometheus metrics\n/healthz     the process is alive\n/readyz      ready for traffic\n/stats       live stats page of the cluster\n/stats.json  the data behind it\n")));
        app.MapGet("/healthz", (RequestDelegate)(context => Text(context, 200, "ok\n")));
        app.MapGet("/readyz", (RequestDelegate)(context =>
        {
            var result = readiness.Check();
            return Text(context, result.Ready ? 200 : 503, result.Ready ? "ready\n" : $"not ready: {result.Reason}\n");
        }));
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapGet("/stats", (RequestDelegate)(async context =>
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.WriteAsync(StatsPage.Value, context.RequestAborted);
        }));
        app.MapGet("/stats.json", (RequestDelegate)(async context =>
        {
            var cluster = await stats.ReadAsync(context.RequestAborted);
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.Headers.CacheControl = "no-store";
            await JsonSerializer.SerializeAsync(context.Response.Body, cluster, Json, context.RequestAborted);
        }));

        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        var uri = new Uri(address);
        return new IPEndPoint(IPAddress.Parse(uri.Host.Trim('[', ']')), uri.Port);
    }

    private static Task Text(HttpContext context, int status, string text)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "text/plain; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        return context.Response.WriteAsync(text, context.RequestAborted);
    }

    private static byte[] LoadStatsPage()
    {
        using var stream = typeof(AdminServer).Assembly.GetManifestResourceStream("Drover.Node.Admin.Stats.stats.html")
                           ?? throw new InvalidOperationException("the stats page is not embedded in Drover.Node");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    public async Task StopAsync()
    {
        if (_app is null) return;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(2)); // scrapes and page polls are short
        await _app.StopAsync(deadline.Token);
    }

    public async ValueTask DisposeAsync()
    {
        var app = Interlocked.Exchange(ref _app, null);
        if (app is null) return;
        try
        {
            await app.StopAsync(new CancellationToken(canceled: true));
        }
        finally
        {
            await app.DisposeAsync();
        }
    }
}
