namespace Drover.Node.Io;

/// <summary>
/// The connections a <see cref="LoopConnectionListener"/>'s front door is serving, so that a stop can
/// reach them: a list threaded through the connections themselves (no node, no hash per connection,
/// as a dictionary would cost on every accept and close), under a lock held for a few pointer moves.
/// </summary>
internal sealed class ServingConnections
{
    private readonly Lock _lock = new();
    private LoopConnection? _first;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    public void Add(LoopConnection connection)
    {
        lock (_lock)
        {
            connection.ServingNext = _first;
            if (_first is not null) _first.ServingPrevious = connection;
            _first = connection;
            connection.IsServing = true;
            _count++;
        }
    }

    /// <summary>Takes <paramref name="connection"/> off the list; false if it was not on it.</summary>
    public bool Remove(LoopConnection connection)
    {
        lock (_lock)
        {
            if (!connection.IsServing) return false;
            if (connection.ServingPrevious is { } previous) previous.ServingNext = connection.ServingNext;
            else _first = connection.ServingNext;
            if (connection.ServingNext is { } next) next.ServingPrevious = connection.ServingPrevious;
            connection.ServingPrevious = connection.ServingNext = null;
            connection.IsServing = false;
            _count--;
            return true;
        }
    }

    /// <summary>The connections on the list now (a stop acts on each outside the lock).</summary>
    public List<LoopConnection> Snapshot()
    {
        lock (_lock)
        {
            var connections = new List<LoopConnection>(_count);
            for (var connection = _first; connection is not null; connection = connection.ServingNext) connections.Add(connection);
            return connections;
        }
    }
}
