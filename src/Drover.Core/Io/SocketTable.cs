namespace Drover.Core.Io;

/// <summary>
/// An <see cref="EventLoop"/>'s registered sockets by epoll token. The token is a slot in an array
/// and a generation: an event still queued for a socket that has closed, whose slot went to a new
/// socket, finds another token there and is dropped. Adding and removing take a short lock; the loop
/// thread's lookup for each event is two array reads without one (a ConcurrentDictionary cost a hash
/// per event and a lock, a hash and a node per registration, once per connection).
/// </summary>
internal sealed class SocketTable
{
    private readonly Lock _lock = new();
    private LoopSocket?[] _slots = new LoopSocket?[64];
    private int[] _free = new int[64];
    private int _freeCount;
    private int _used; // slots handed out at least once
    private uint _generation;
    private int _count;

    public int Count => Volatile.Read(ref _count);

    /// <summary>Gives <paramref name="socket"/> a slot and sets its token (never 0).</summary>
    public void Add(LoopSocket socket)
    {
        lock (_lock)
        {
            int slot;
            if (_freeCount > 0)
            {
                slot = _free[--_freeCount];
            }
            else
            {
                if (_used == _slots.Length)
                {
                    var grown = new LoopSocket?[_slots.Length * 2];
                    Array.Copy(_slots, grown, _slots.Length);
                    Volatile.Write(ref _slots, grown); // a lookup still reading the old array finds the same sockets
                }
                slot = _used++;
            }
            if (++_generation == 0) _generation = 1;
            socket.Token = ((ulong)_generation << 32) | (uint)slot;
            Volatile.Write(ref _slots[slot], socket);
            _count++;
        }
    }

    /// <summary>Frees <paramref name="socket"/>'s slot, if it has one.</summary>
    public void Remove(LoopSocket socket)
    {
        lock (_lock)
        {
            var slot = (int)(uint)socket.Token;
            if (socket.Token == 0 || slot >= _used || !ReferenceEquals(_slots[slot], socket)) return;
            _slots[slot] = null;
            if (_freeCount == _free.Length) Array.Resize(ref _free, _free.Length * 2);
            _free[_freeCount++] = slot;
            _count--;
        }
    }

    /// <summary>The socket that <paramref name="token"/> names, or null when it has gone (called by the loop thread for each event).</summary>
    public LoopSocket? Find(ulong token)
    {
        var slots = Volatile.Read(ref _slots);
        var slot = (uint)token;
        if (slot >= (uint)slots.Length) return null;
        var socket = Volatile.Read(ref slots[slot]);
        return socket is not null && socket.Token == token ? socket : null;
    }
}
