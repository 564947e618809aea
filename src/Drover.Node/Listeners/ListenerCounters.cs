using Drover.Core.Pools;

namespace Drover.Node.Listeners;

/// <summary>
/// One listener's live counters, the frontend view (HAProxy's "frontend", Envoy's listener stats):
/// what clients got, whoever answered (a backend, or Drover itself with 404/502/503/504/408), and
/// the connections and bytes it carried. The data path updates them with <see cref="Interlocked"/>
/// only; the metrics scrape and the stats page read them.
/// </summary>
public sealed class ListenerCounters
{
    private readonly long[] _statuses = new long[StatusClass.Count];
    private long _connections;
    private long _active;
    private long _bytesIn;
    private long _bytesOut;

    /// <summary>HTTP responses sent to clients, by <see cref="StatusClass"/> slot.</summary>
    public long StatusCount(int statusClass) => Volatile.Read(ref _statuses[statusClass]);

    /// <summary>HTTP responses sent to clients, every class.</summary>
    public long Requests
    {
        get
        {
            long total = 0;
            for (var i = 0; i < _statuses.Length; i++) total += StatusCount(i);
            return total;
        }
    }

    /// <summary>Client connections accepted.</summary>
    public long Connections => Volatile.Read(ref _connections);

    /// <summary>Client connections open now.</summary>
    public long ActiveConnections => Volatile.Read(ref _active);

    /// <summary>TCP listeners: bytes from clients (towards backends).</summary>
    public long BytesIn => Volatile.Read(ref _bytesIn);

    /// <summary>TCP listeners: bytes to clients (from backends).</summary>
    public long BytesOut => Volatile.Read(ref _bytesOut);

    public void CountStatus(int status) => Interlocked.Increment(ref _statuses[StatusClass.Index(status)]);

    public void OnConnectionOpened()
    {
        Interlocked.Increment(ref _connections);
        Interlocked.Increment(ref _active);
    }

    public void OnConnectionClosed() => Interlocked.Decrement(ref _active);

    public void AddBytesIn(long bytes) => Interlocked.Add(ref _bytesIn, bytes);

    public void AddBytesOut(long bytes) => Interlocked.Add(ref _bytesOut, bytes);
}
