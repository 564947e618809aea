using Akka.Actor;
using Akka.Hosting;
using Drover.Core.Configuration;
using Drover.Node.Commands.Palettes;
using Drover.Node.Logging;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Commands;

/// <summary>
/// Wiring for the command host. Services: <see cref="AddCommandHost"/> (runtime, log buffer, the
/// built-in palettes) and <see cref="AddCommandPalette{T}"/> for any further palette. Akka.Hosting:
/// <see cref="WithCommandHost"/> starts the host actor with every registered palette and stops it in
/// CoordinatedShutdown.
/// </summary>
public static class CommandHostExtensions
{
    /// <summary>How long shutdown waits for sessions to say goodbye.</summary>
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(4);

    /// <summary>The runtime, the log buffer and the built-in palettes: cluster, cluster-sharding, actor, log.</summary>
    public static IServiceCollection AddCommandHost(this IServiceCollection services, LogBuffer logBuffer)
    {
        services.TryAddSingleton<CommandHostRuntime>();
        services.TryAddSingleton(logBuffer);
        services.AddCommandPalette<ClusterPalette>();
        services.AddCommandPalette<ClusterShardingPalette>();
        services.AddCommandPalette<ActorPalette>();
        services.AddCommandPalette<LogPalette>();
        services.AddCommandPalette<LbPalette>();
        return services;
    }

    /// <summary>
    /// Adds a palette to every node's command host. The palette is a DI singleton, so its constructor
    /// can take any service (e.g. <c>DroverRuntime</c>); it reaches actors through the
    /// <see cref="CommandContext"/> it is given per command.
    /// </summary>
    public static IServiceCollection AddCommandPalette<T>(this IServiceCollection services) where T : class, ICommandPalette
    {
        services.TryAddEnumerable(ServiceDescriptor.Singleton<ICommandPalette, T>());
        return services;
    }

    /// <summary>Feeds every log line the host's filters let through into <paramref name="buffer"/> (for <c>log peek/tail</c>).</summary>
    public static ILoggingBuilder AddLogBuffer(this ILoggingBuilder logging, LogBuffer buffer)
    {
        logging.AddProvider(new LogBufferLoggerProvider(buffer));
        return logging;
    }

    /// <summary>
    /// Starts the command host (<c>/user/cmd</c>) on <c>drover.cmd.bind</c> with every registered
    /// <see cref="ICommandPalette"/>; the bound address appears on <see cref="CommandHostRuntime"/>.
    /// In CoordinatedShutdown's last phase before the actor system terminates, it stops accepting and
    /// ends every session, so operators can watch a node leave until the very end.
    /// </summary>
    public static AkkaConfigurationBuilder WithCommandHost(this AkkaConfigurationBuilder builder, CmdConfig config)
    {
        if (!config.Enabled) return builder;
        return builder.WithActors((system, registry, resolver) =>
        {
            var runtime = resolver.GetService<CommandHostRuntime>();
            CommandCatalog catalog;
            try
            {
                catalog = new CommandCatalog(resolver.GetService<IEnumerable<ICommandPalette>>());
            }
            catch (Exception ex)
            {
                runtime.MarkFailed(ex);
                return;
            }

            var host = system.ActorOf(CommandHostActor.Props(config, catalog, registry, runtime), "cmd");
            registry.Register<CommandHostActor>(host);
            CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "drover-stop-command-host", async () =>
            {
                if (system.WhenTerminated.IsCompleted) return Akka.Done.Instance; // crashed: nothing left to ask
                try
                {
                    await host.Ask<CommandHostProtocol.Stopped>(CommandHostProtocol.Stop.Instance, StopTimeout);
                }
                catch (Exception)
                {
                    // Already stopped, or a session did not finish in time: the system is going anyway.
                }
                return Akka.Done.Instance;
            });
        });
    }
}
