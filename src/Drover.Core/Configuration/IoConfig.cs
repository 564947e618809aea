namespace Drover.Core.Configuration;

/// <summary>Which socket engine drives the L7 listeners' client connections and the fast path's backend connections.</summary>
public enum IoEngine
{
    /// <summary>Drover's own epoll loops, one thread per CPU (Linux only; elsewhere <see cref="Sockets"/> is used).</summary>
    Epoll,

    /// <summary>.NET's socket engine and Kestrel's socket transport.</summary>
    Sockets,
}

/// <summary>
/// <c>drover.io { engine, busy-poll, splice }</c>: read once at start; a change needs a restart.
/// <see cref="BusyPoll"/> is how long an event loop keeps polling for new events before it sleeps
/// (zero: it sleeps at once); see <c>Drover.Core.Io.EventLoop</c>. <see cref="Splice"/>: the HTTP fast
/// path moves the rest of a large response body from the backend's socket to the client's with
/// splice(2) on the epoll engine (see <c>Drover.Core.Io.SplicePipe</c>).
/// </summary>
public sealed record IoConfig(IoEngine Engine, TimeSpan BusyPoll, bool Splice = true)
{
    public const string EnginePath = "drover.io.engine";
    public const string BusyPollPath = "drover.io.busy-poll";
    public const string SplicePath = "drover.io.splice";

    /// <summary>
    /// A body with fewer bytes left than this after its head's read (16 KiB) is copied: two splices and a
    /// second send to the client cost more than copying it. Measured (proxy CPU per request, 1 core):
    /// with 24 KiB left, splicing cost 28 us against 24.9 copying; with 32 KiB left about the same;
    /// with 48 KiB left (64 KiB responses) splicing took 31-37 us against 42-52 with splicing off.
    /// </summary>
    public const int SpliceMinimum = 32 * 1024;

    /// <summary>Longer than this buys nothing: a loop that saw no event for a millisecond is idle.</summary>
    public static readonly TimeSpan MaxBusyPoll = TimeSpan.FromMilliseconds(1);

    public static readonly TimeSpan DefaultBusyPoll = TimeSpan.FromMicroseconds(50);

    public static readonly IoConfig Default = new(IoEngine.Epoll, DefaultBusyPoll);
}
