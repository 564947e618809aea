using Akka.Actor;
using Akka.Hosting;
using Drover.Core.Configuration;
using Drover.Node.Demo;
using Drover.Node.LoadBalancing;
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
        System = host.Services.GetRequiredService<ActorSystem>();
    }

    public IHost Host { get; }
    public NodeConfiguration Config { get; }
    public DroverRuntime Runtime { get; }
    public ActorSystem System { get; }

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
            return node;
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
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = config.DrainTimeout + TimeSpan.FromSeconds(20));
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

        var runtime = new DroverRuntime();
        runtime.Sessions = new SessionService(config.Drover, runtime, config.Sessions);
        builder.Services.AddSingleton(config.Drover);
        builder.Services.AddSingleton(runtime);
        if (config.Drover.Demo.Backends > 0) builder.Services.AddHostedService<DemoBackendsService>();
        builder.Services.AddAkka("drover", (akka, services) =>
        {
            var loggerFactory = services.GetRequiredService<ILoggerFactory>();
            akka.AddHocon(config.Hocon, HoconAddMode.Append)
                .ConfigureLoggers(loggers =>
                {
                    loggers.ClearLoggers();
                    loggers.AddLoggerFactory();
                })
                .WithDroverCluster()
                .WithDroverSessions(runtime.Sessions)
                .WithLoadBalancer(config, runtime, loggerFactory);
        });
        return builder.Build();
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
