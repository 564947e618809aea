namespace Drover.Core.Io;

/// <summary>
/// A kernel pipe that a relay moves a body through with splice(2): from the backend's socket into
/// the pipe, from the pipe into the client's socket. The kernel passes page references along
/// instead of copying the bytes into user memory and back, so a large body costs two splices and no
/// copies (HAProxy's kernel splicing does the same). Rented per thread and given back empty; a pipe
/// left holding bytes (its relay failed midway) is closed instead.
/// </summary>
public sealed unsafe class SplicePipe : IDisposable
{
    /// <summary>The most empty pipes a thread keeps: a pipe is rented per body, not per connection, so a few cover a loop's relays in flight.</summary>
    public const int MaxPooledPerThread = 8;

    [ThreadStatic] private static Stack<SplicePipe>? t_pooled;
    private static long s_open;
    private int _disposed;

    private SplicePipe(FileDescriptor readEnd, FileDescriptor writeEnd)
    {
        ReadEnd = readEnd;
        WriteEnd = writeEnd;
    }

    internal FileDescriptor ReadEnd { get; }

    internal FileDescriptor WriteEnd { get; }

    /// <summary>Bytes spliced into the pipe and not yet out of it.</summary>
    public int Buffered { get; internal set; }

    /// <summary>Pipes open in this process: in use, or kept by a thread for its next relay.</summary>
    public static long Open => Volatile.Read(ref s_open);

    /// <summary>True where splice(2) exists (Linux).</summary>
    public static bool IsSupported => OperatingSystem.IsLinux();

    /// <summary>
    /// An empty pipe (one this thread gave back, or a new one), or null when this thread has none and a new one cannot be opened (the process is
    /// out of descriptors): the caller copies instead, so a full descriptor table costs speed, not requests.
    /// </summary>
    public static SplicePipe? TryRent()
    {
        if (t_pooled is { Count: > 0 } pooled) return pooled.Pop();
        var fds = stackalloc int[2];
        if (Libc.Pipe2(fds, Libc.O_NONBLOCK | Libc.O_CLOEXEC) != 0) return null;
        Interlocked.Increment(ref s_open);
        return new SplicePipe(new FileDescriptor(fds[0]), new FileDescriptor(fds[1]));
    }

    /// <summary>Gives <paramref name="pipe"/> back for this thread's next relay, or closes it if it still holds bytes.</summary>
    public static void Return(SplicePipe pipe)
    {
        var pooled = t_pooled ??= new Stack<SplicePipe>(MaxPooledPerThread);
        if (pipe.Buffered != 0 || pooled.Count >= MaxPooledPerThread || Volatile.Read(ref pipe._disposed) != 0)
        {
            pipe.Dispose();
            return;
        }
        pooled.Push(pipe);
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Interlocked.Decrement(ref s_open);
        ReadEnd.Dispose();
        WriteEnd.Dispose();
    }
}
