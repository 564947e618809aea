namespace Drover.Node.Logging;

/// <summary>
/// The node's most recent log lines, for <c>log peek</c> and <c>log tail</c>: a fixed-size ring,
/// plus subscribers that see each new line. Fed by <see cref="LogBufferLoggerProvider"/>, which sees
/// both Microsoft.Extensions.Logging and Akka's own log events (Akka logs through the same logger
/// factory). Logging is not on the per-request path, so a short lock is fine here.
/// </summary>
public sealed class LogBuffer
{
    public const int DefaultCapacity = 1000;

    private readonly object _gate = new();
    private readonly string[] _lines;
    private long _written;
    private Action<string>[] _subscribers = [];

    public LogBuffer(int capacity = DefaultCapacity)
    {
        if (capacity < 1) throw new ArgumentOutOfRangeException(nameof(capacity));
        _lines = new string[capacity];
    }

    public int Capacity => _lines.Length;

    public void Add(string line)
    {
        Action<string>[] subscribers;
        lock (_gate)
        {
            _lines[_written % _lines.Length] = line;
            _written++;
            subscribers = _subscribers;
        }
        foreach (var subscriber in subscribers) subscriber(line);
    }

    /// <summary>The last <paramref name="count"/> lines (fewer if fewer were written), oldest first.</summary>
    public IReadOnlyList<string> Last(int count)
    {
        lock (_gate)
        {
            var n = (int)Math.Min(Math.Min(count, _lines.Length), _written);
            var result = new string[Math.Max(n, 0)];
            for (var i = 0; i < result.Length; i++) result[i] = _lines[(_written - result.Length + i) % _lines.Length];
            return result;
        }
    }

    /// <summary>Calls <paramref name="onLine"/> with every line added from now on, on the logging thread; it must not block.</summary>
    public IDisposable Subscribe(Action<string> onLine)
    {
        lock (_gate) _subscribers = [.. _subscribers, onLine];
        return new Subscription(this, onLine);
    }

    private void Unsubscribe(Action<string> onLine)
    {
        lock (_gate) _subscribers = _subscribers.Where(s => s != onLine).ToArray();
    }

    private sealed class Subscription(LogBuffer buffer, Action<string> onLine) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0) buffer.Unsubscribe(onLine);
        }
    }
}
