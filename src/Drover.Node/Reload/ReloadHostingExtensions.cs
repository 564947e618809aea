using Drover.Node.Hosting;
using Drover.Node.LoadBalancing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Reload;

public static class ReloadHostingExtensions
{
    /// <summary>
    /// Hot reload of the <c>drover</c> section: the <see cref="ConfigReloader"/> (reachable as
    /// <see cref="DroverRuntime.Reloader"/>, for <c>lb reload</c>) and, for a node started from a file,
    /// SIGHUP and the file watcher.
    /// </summary>
    public static IServiceCollection AddConfigReload(this IServiceCollection services, NodeConfiguration config, DroverRuntime runtime)
    {
        services.AddSingleton(sp => new ConfigReloader(config, runtime, sp.GetRequiredService<ILoggerFactory>().CreateLogger("Drover.Reload")));
        services.AddHostedService<ReloadService>();
        return services;
    }
}
