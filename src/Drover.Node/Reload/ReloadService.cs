using System.Runtime.InteropServices;
using Drover.Node.LoadBalancing;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Drover.Node.Reload;

/// <summary>
/// The reload triggers besides <c>lb reload</c>, for a node started from a config file: SIGHUP, and
/// (with <c>drover.reload.watch</c>) a change of the file on disk, debounced so that an editor's
/// several writes make one reload.
/// </summary>
public sealed class ReloadService(ConfigReloader reloader, DroverRuntime runtime, ILogger<ReloadService> log) : IHostedService, IDisposable
{
    /// <summary>How long the file must stay quiet after a change before it is read.</summary>
    public static readonly TimeSpan Debounce = TimeSpan.FromMilliseconds(500);

    private PosixSignalRegistration? _sighup;
    private FileSystemWatcher? _watcher;
    private Timer? _debounce;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (reloader.File is not { } file) return Task.CompletedTask;
        try
        {
            // Handled, so SIGHUP no longer ends the process (its default action).
            _sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, context =>
            {
                context.Cancel = true;
                Run("SIGHUP", onlyIfChanged: false);
            });
        }
        catch (PlatformNotSupportedException)
        {
        }

        _debounce = new Timer(_ =>
        {
            if (runtime.Config.Reload.Watch) Run("file change", onlyIfChanged: true);
        });
        // The directory, not the file: editors that save by rename replace the file the watcher would hold.
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(file)!, Path.GetFileName(file))
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, _) => Touch();
        _watcher.Created += (_, _) => Touch();
        _watcher.Renamed += (_, _) => Touch();
        _watcher.EnableRaisingEvents = true;
        return Task.CompletedTask;
    }

    private void Touch() => _debounce?.Change(Debounce, Timeout.InfiniteTimeSpan);

    private void Run(string trigger, bool onlyIfChanged) => _ = Task.Run(async () =>
    {
        try
        {
            // Nothing more to say here: the load balancer logs what changed, the reloader why it was rejected.
            await reloader.ReloadAsync(trigger, onlyIfChanged);
        }
        catch (Exception ex)
        {
            log.LogError(ex, "reload ({Trigger}) failed", trigger);
        }
    });

    public Task StopAsync(CancellationToken cancellationToken)
    {
        Dispose();
        return Task.CompletedTask;
    }

    public void Dispose()
    {
        _sighup?.Dispose();
        _sighup = null;
        _watcher?.Dispose();
        _watcher = null;
        _debounce?.Dispose();
        _debounce = null;
    }
}
