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
        // A signal ignored when the process started stays ignored (the runtime honours it), so a node
        // started under nohup, or as a background job of a script, never sees SIGHUP: say so once.
        if (IgnoredAtStart(SigHup))
            log.LogWarning("SIGHUP is ignored in this process (inherited from whatever started it, e.g. nohup): it will not reload the config; use 'lb reload' or drover.reload.watch = on");

        _debounce = new Timer(_ =>
        {
            if (runtime.Config.Reload.Watch) Run("file change", onlyIfChanged: true);
        });
        // The directory, not only the file's name: editors save by rename, and a Kubernetes ConfigMap
        // swaps a "..data" symlink, so the file's own name may see no event at all. Other files (an
        // access log written beside it) are ignored, or they would keep the debounce from ever ending.
        // After the debounce the file is read once; a file whose text did not change is left alone.
        var name = Path.GetFileName(file);
        bool Relevant(FileSystemEventArgs e) =>
            e.Name == name || e.Name?.StartsWith("..", StringComparison.Ordinal) == true || e is RenamedEventArgs { OldName: var old } && old == name;
        _watcher = new FileSystemWatcher(Path.GetDirectoryName(file)!)
        {
            NotifyFilter = NotifyFilters.LastWrite | NotifyFilters.FileName | NotifyFilters.DirectoryName | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        _watcher.Changed += (_, e) => { if (Relevant(e)) Touch(); };
        _watcher.Created += (_, e) => { if (Relevant(e)) Touch(); };
        _watcher.Renamed += (_, e) => { if (Relevant(e)) Touch(); };
        _watcher.EnableRaisingEvents = true;
        return Task.CompletedTask;
    }

    private const int SigHup = 1;

    /// <summary>Whether <paramref name="signal"/> is in this process's ignored set (Linux: <c>SigIgn</c> in /proc/self/status).</summary>
    private static bool IgnoredAtStart(int signal)
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("SigIgn:", StringComparison.Ordinal))
                    return (Convert.ToUInt64(line["SigIgn:".Length..].Trim(), 16) & (1UL << (signal - 1))) != 0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException)
        {
        }
        return false;
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
