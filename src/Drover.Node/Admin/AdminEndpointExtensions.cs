using Akka.Actor;
using Akka.Hosting;
using Drover.Core.Configuration;
using Drover.Node.Admin.Metrics;
using Drover.Node.Admin.Stats;
using Drover.Node.LoadBalancing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Admin;

/// <summary>
/// Wiring for the admin endpoint. Services: <see cref="AddAdminEndpoint"/> (the runtime). Akka.Hosting:
/// <see cref="WithAdminEndpoint"/> starts the stats actor on every node and, when enabled, the endpoint.
/// </summary>
public static class AdminEndpointExtensions
{
    /// <summary>How long <c>/stats.json</c> waits for each member's stats.</summary>
    public static readonly TimeSpan StatsTimeout = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(4);

    public static IServiceCollection AddAdminEndpoint(this IServiceCollection services)
    {
        services.TryAddSingleton<AdminRuntime>();
        return services;
    }

    /// <summary>
    /// Starts <c>/user/admin-stats</c> (always: other nodes' stats pages ask it) and, when
    /// <c>drover.admin.enabled</c>, the admin endpoint (<c>/user/admin</c>) on <c>drover.admin.bind</c>;
    /// the bound address appears on <see cref="AdminRuntime"/>. Readiness fails at the first moment
    /// of shutdown (CoordinatedShutdown's first phase, or the host stopping), and that phase lasts
    /// <c>drover.shutdown.ready-delay</c> more, so listeners keep serving until balancers have seen
    /// it; the endpoint itself keeps answering through the drain and stops in the last phase before
    /// the actor system ends.
    /// </summary>
    public static AkkaConfigurationBuilder WithAdminEndpoint(this AkkaConfigurationBuilder builder, AdminConfig config) =>
        builder.WithActors((system, registry, resolver) =>
        {
            var admin = resolver.GetService<AdminRuntime>();
            var runtime = resolver.GetService<DroverRuntime>();
            var drover = resolver.GetService<DroverConfig>();
            var readiness = new Readiness(runtime, admin, system);

            var shutdown = CoordinatedShutdown.Get(system);
            var readyDelay = drover.Shutdown.ReadyDelay;
            shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "drover-admin-not-ready", async () =>
            {
                admin.MarkShuttingDown();
                // Listeners close in the next phase: first give whoever polls /readyz (a balancer, a
                // Kubernetes Service) time to see the 503 and stop sending. A downed node skips it:
                // the cluster has already moved its sessions elsewhere.
                if (readyDelay > TimeSpan.Zero && shutdown.ShutdownReason is not CoordinatedShutdown.ClusterDowningReason)
                    await Task.Delay(readyDelay);
                return Akka.Done.Instance;
            });
            resolver.GetService<IHostApplicationLifetime>()?.ApplicationStopping.Register(admin.MarkShuttingDown);

            var stats = system.ActorOf(AdminStatsActor.Props(runtime, drover, readiness.Check, () => admin.EndPoint?.ToString() ?? ""), AdminStatsProtocol.ActorName);
            registry.Register<AdminStatsActor>(stats);
            if (!config.Enabled) return;

            var metrics = new DroverMetrics(runtime, drover, system, readiness.Check);
            var server = new AdminServer(config, resolver.GetService<ILoggerFactory>(), metrics, readiness, new ClusterStatsReader(system, stats, StatsTimeout));
            var endpoint = system.ActorOf(AdminEndpointActor.Props(server, admin), "admin");
            registry.Register<AdminEndpointActor>(endpoint);
            shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "drover-stop-admin-endpoint", async () =>
            {
                if (system.WhenTerminated.IsCompleted) return Akka.Done.Instance;
                try
                {
                    await endpoint.Ask<AdminProtocol.Stopped>(AdminProtocol.Stop.Instance, StopTimeout);
                }
                catch (Exception)
                {
                    // Already stopped: the actor's PostStop disposes the server anyway.
                }
                return Akka.Done.Instance;
            });
        });
}
