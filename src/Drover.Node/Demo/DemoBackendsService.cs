using Drover.Core.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Demo;

/// <summary>Starts the in-process demo backends of <c>drover.demo</c> before the listeners bind.</summary>
public sealed class DemoBackendsService(DroverConfig config, ILoggerFactory loggerFactory) : IHostedService
{
    private readonly List<DemoBackend> _backends = new();
    private readonly ILogger _log = loggerFactory.CreateLogger<DemoBackendsService>();

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var (id, bind) in config.Demo.Instances())
        {
            var backend = await DemoBackend.StartAsync(id, bind, loggerFactory, cancellationToken);
            _backends.Add(backend);
            _log.LogInformation("demo backend {Id} listening on http://{EndPoint}", id, backend.EndPoint);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        foreach (var backend in _backends) await backend.DisposeAsync();
        _backends.Clear();
    }
}
