namespace Drover.Core.Io;

/// <summary>
/// The process's event loops: one per CPU the process may run on, started on first use and kept
/// for the life of the process (as .NET's own socket engine threads are). New connections spread
/// over them in turn; a backend connection opened by code running on a loop stays on that loop, so
/// a proxied exchange runs on one thread from the client's request to the backend's response.
/// </summary>
public sealed class EventLoopGroup
{
    private static readonly Lazy<EventLoopGroup> LazyShared = new(() => new EventLoopGroup(Environment.ProcessorCount, s_sharedBusyPoll));
    private static TimeSpan s_sharedBusyPoll = Configuration.IoConfig.DefaultBusyPoll;

    private readonly EventLoop[] _loops;
    private int _next;

    public EventLoopGroup(int count, TimeSpan busyPoll = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        _loops = new EventLoop[count];
        for (var i = 0; i < count; i++) _loops[i] = new EventLoop($"drover-io-{i}", busyPoll);
    }

    /// <summary>Sets the shared loops' busy-poll window (<c>drover.io.busy-poll</c>), whether they have started yet or not.</summary>
    public static void ConfigureShared(TimeSpan busyPoll)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(busyPoll, TimeSpan.Zero);
        s_sharedBusyPoll = busyPoll;
        if (SharedIfStarted is { } group)
            foreach (var loop in group._loops) loop.BusyPoll = busyPoll;
    }

    public static EventLoopGroup Shared => LazyShared.Value;

    /// <summary>The shared loops if something has started them (metrics read them without starting any).</summary>
    public static EventLoopGroup? SharedIfStarted => LazyShared.IsValueCreated ? LazyShared.Value : null;

    public IReadOnlyList<EventLoop> Loops => _loops;

    /// <summary>True where the loops can run (Linux); elsewhere the engine falls back to .NET sockets.</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    public int Count => _loops.Length;

    /// <summary>Sockets registered on all loops and not yet closed.</summary>
    public int Registered => _loops.Sum(loop => loop.Registered);

    /// <summary>The next loop in turn.</summary>
    public EventLoop Next() => _loops.Length == 1 ? _loops[0] : _loops[(int)((uint)Interlocked.Increment(ref _next) % (uint)_loops.Length)];

    /// <summary>The caller's own loop when it runs on one, otherwise the next in turn.</summary>
    public EventLoop Preferred() => EventLoop.Current is { } current && Array.IndexOf(_loops, current) >= 0 ? current : Next();
}
