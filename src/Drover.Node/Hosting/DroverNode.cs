using Akka.Actor;
using Akka.Hosting;
using Drover.Core.Configuration;
using Drover.Node.Admin;
using Drover.Node.Commands;
using Drover.Node.Commands.Palettes;
using Drover.Node.Demo;
using Drover.Node.LoadBalancing;
using Drover.Node.Logging;
using Drover.Node.Reload;
using Drover.Node.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Hosting;

/// <summary>
/// A running Drover node: the generic host with the actor system, the demo backends if configured,
/// and the load balancer. <see cref="StartAsync"/> returns once every listener is bound.
/// </summary>
public sealed class DroverNode : IAsyncDisposable
{
    private DroverNode(IHost host, NodeConfiguration config)
    {
        Host = host;
        Config = config;
        Runtime = host.Services.GetRequiredService<DroverRuntime>();
        Commands = host.Services.GetRequiredService<CommandHostRuntime>();
        Admin = host.Services.GetRequiredService<AdminRuntime>();
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public IHost Host { get; }
    public NodeConfiguration Config { get; }
    public DroverRuntime Runtime { get; }

    /// <summary>The command host's bound address (when <c>drover.cmd.enabled</c>).</summary>
    public CommandHostRuntime Commands { get; }

    /// <summary>The admin endpoint's bound address (when <c>drover.admin.enabled</c>) and shutdown flag.</summary>
    public AdminRuntime Admin { get; }
    public ActorSystem System { get; }

    /// <summary>Exit code of a node that the cluster downed (split brain resolver, or an operator's <c>cluster down</c>).</summary>
    public const int ExitDownedByCluster = 3;

    /// <summary>
    /// Why the node stopped, as a process exit code: <see cref="ExitDownedByCluster"/> when the
    /// cluster downed it (so that systemd, Docker or Kubernetes restart it and it joins again), 0
    /// otherwise (SIGTERM, a graceful leave).
    /// </summary>
    public int ExitCode =>
        CoordinatedShutdown.Get(System).ShutdownReason is CoordinatedShutdown.ClusterDowningReason ? ExitDownedByCluster : 0;

    /// <summary>Checks ports, starts the host, and waits until every listener is bound.</summary>
    /// <exception cref="ConfigException">A listener, demo or remoting port cannot be bound.</exception>
    public static async Task<DroverNode> StartAsync(NodeConfiguration config, Action<ILoggingBuilder>? logging = null, CancellationToken cancellationToken = default)
    {
        var unavailable = PortCheck.FindUnavailable(config);
        if (unavailable.Count > 0) throw new ConfigException(unavailable);

        var host = Build(config, logging);
        try
        {
            await host.StartAsync(cancellationToken);
            var node = new DroverNode(host, config);
            await node.Runtime.Ready.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (config.Drover.Cmd.Enabled) await node.Commands.Bound.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (config.Drover.Admin.Enabled) await node.Admin.Bound.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            return node;
        }
        catch (CommandHostBindException ex)
        {
            await StopQuietly(host);
            throw new ConfigException("drover.cmd.bind", ex.Reason);
        }
        catch (AdminBindException ex)
        {
            await StopQuietly(host);
            throw new ConfigException("drover.admin.bind", ex.Reason);
        }
        catch (ListenerBindException ex)
        {
            await StopQuietly(host);
            throw new ConfigException(new[] { new ConfigError($"drover.listeners.{ex.Listener}.bind", ex.Message) });
        }
        catch
        {
            await StopQuietly(host);
            throw;
        }
    }

    private static IHost Build(NodeConfiguration config, Action<ILoggingBuilder>? logging)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            EnvironmentName = Environments.Production,
        });
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.ReadyDelay + config.DrainTimeout + TimeSpan.FromSeconds(20));
        builder.Logging.SetMinimumLevel(LogLevel.Information);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore.Server.Kestrel", LogLevel.Error); // not the "h2 needs TLS" note: h2c is handled
        builder.Logging.AddFilter("Yarp", LogLevel.Error); // connect failures are retried and reported by the pool actor
        if (logging is not null) logging(builder.Logging);
        else builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });

        var logBuffer = new LogBuffer();
        builder.Logging.AddLogBuffer(logBuffer);

        // The epoll loops are the process's, like .NET's socket engine threads; configuring them starts none.
        Drover.Core.Io.EventLoopGroup.ConfigureShared(config.Drover.Io.BusyPoll);
        var runtime = new DroverRuntime { AccessLog = OpenAccessLog(config) };
        runtime.Config = config.Drover;
        runtime.Sessions = new SessionService(config.Drover, runtime, config.Sessions);
        builder.Services.AddSingleton(runtime.AccessLog);
        builder.Services.AddHostedService<AccessLog.AccessLogService>();
        builder.Services.AddSingleton(config.Drover);
        builder.Services.AddCommandHost(logBuffer);
        builder.Services.AddAdminEndpoint();
        // Drills only: a palette that can cut this node's links to other members.
        if (config.Drover.Cmd.FaultInjection) builder.Services.AddCommandPalette<FaultPalette>();
        builder.Services.AddSingleton(runtime);
        if (config.Drover.Demo.Backends > 0) builder.Services.AddHostedService<DemoBackendsService>();
        builder.Services.AddConfigReload(config, runtime);
        builder.Services.AddAkka("drover", (akka, services) =>
        {
            var loggerFactory = services.GetRequiredService<ILoggerFactory>();
            akka.AddHocon(config.Hocon, HoconAddMode.Append)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                    loggers.AddLogger<AkkaLogBufferLogger>();
                })
                .AddSetup(new LogBufferSetup(logBuffer))
                .WithDroverCluster()
                .WithDroverSessions(runtime.Sessions)
                .WithLoadBalancer(config, runtime, loggerFactory)
                .WithCommandHost(config.Drover.Cmd)
                .WithAdminEndpoint(config.Drover.Admin);
        });
        return builder.Build();
    }

    private static AccessLog.AccessLogWriter OpenAccessLog(NodeConfiguration config)
    {
        try
        {
            return new AccessLog.AccessLogWriter(config.Drover.AccessLog);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException("drover.access-log.path", $"cannot open '{config.Drover.AccessLog.Path}' for appending: {ex.Message}");
        }
    }

    public async Task StopAsync()
    {
        await Host.StopAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await StopQuietly(Host);
    }

    private static async Task StopQuietly(IHost host)
    {
        try
        {
            await host.StopAsync();
        }
        catch (Exception)
        {
            // Stopping after a failed start: the original error is what matters.
        }
        (host as IDisposable)?.Dispose();
    }
}
