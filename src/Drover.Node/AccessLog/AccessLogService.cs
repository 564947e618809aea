using Microsoft.Extensions.Hosting;

namespace Drover.Node.AccessLog;

/// <summary>
/// Flushes and closes the access log when the host stops. Registered before Akka, so it stops after
/// it (the generic host stops services in reverse order): requests drained at shutdown are logged.
/// </summary>
internal sealed class AccessLogService(AccessLogWriter writer) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task StopAsync(CancellationToken cancellationToken) => await writer.DisposeAsync();
}
