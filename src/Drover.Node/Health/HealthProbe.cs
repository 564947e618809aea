using System.Diagnostics;
using Drover.Core.Health;
using Drover.Core.Pools;

namespace Drover.Node.Health;

/// <summary>
/// One kind of active check against one backend. <see cref="RunAsync"/> bounds a probe by the
/// configured timeout and turns every outcome, including exceptions, into a <see cref="ProbeResult"/>;
/// subclasses only say what a good check is.
/// </summary>
internal abstract class HealthProbe : IDisposable
{
    protected HealthProbe(ActiveHealthConfig config, Backend backend)
    {
        Config = config;
        Backend = backend;
    }

    protected ActiveHealthConfig Config { get; }
    protected Backend Backend { get; }

    public static HealthProbe Create(ActiveHealthConfig config, Backend backend) => config.Type switch
    {
        ActiveCheckType.Http => new HttpHealthProbe(config, backend),
        ActiveCheckType.Tcp => new TcpHealthProbe(config, backend),
        _ => throw new ArgumentException($"health.active.type '{config.Type}' has no probe (backend {backend.Id})", nameof(config)),
    };

    /// <summary>Runs one probe; never throws. <paramref name="stopping"/> cancels it when its actor stops.</summary>
    public async Task<ProbeResult> RunAsync(CancellationToken stopping)
    {
        var started = Stopwatch.GetTimestamp();
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        deadline.CancelAfter(Config.Timeout);
        bool ok;
        string detail;
        try
        {
            (ok, detail) = await ProbeAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (Exception) when (stopping.IsCancellationRequested)
        {
            (ok, detail) = (false, "cancelled");
        }
        catch (Exception) when (deadline.IsCancellationRequested)
        {
            // Whatever surfaced (OperationCanceledException, or an I/O error from the aborted socket), the cause is the deadline.
            (ok, detail) = (false, ProbeText.Timeout(Config.Timeout));
        }
        catch (Exception ex)
        {
            (ok, detail) = (false, ProbeText.Describe(ex));
        }
        return new ProbeResult(Backend.Ordinal, Backend.Id, ok, detail, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>One check, honouring <paramref name="cancellationToken"/> (the deadline); failures may throw.</summary>
    protected abstract Task<(bool Ok, string Detail)> ProbeAsync(CancellationToken cancellationToken);

    public virtual void Dispose() { }
}
