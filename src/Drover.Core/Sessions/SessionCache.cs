using System.Collections.Concurrent;
using Drover.Core.Pools;

namespace Drover.Core.Sessions;

/// <summary>
/// One pool's session bindings as this node last learned them, so steady traffic never asks the
/// owner. Lookups are lock-free and allocate nothing (a span key through the dictionary's alternate
/// lookup); writes lock one bucket of the concurrent dictionary, never the whole cache. Bounded: an
/// insert beyond <see cref="Capacity"/> makes that caller sweep out expired entries, then arbitrary
/// ones, down to 90%. Times are milliseconds of a monotonic clock passed in (tests move it).
/// </summary>
public sealed class SessionCache
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _bySpan;
    private readonly Func<long> _clock;
    private int _count;
    private int _sweeping;

    public SessionCache(int capacity, Func<long>? clock = null)
    {
        Capacity = Math.Max(16, capacity);
        _clock = clock ?? (static () => Environment.TickCount64);
        _bySpan = _entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    public int Capacity { get; }

    /// <summary>Entries held, expired ones included until a sweep (approximate under concurrent writes).</summary>
    public int Count => Volatile.Read(ref _count);

    public long Now => _clock();

    /// <summary>A binding. <see cref="Backend"/> never changes (a new binding is a new entry); the times move.</summary>
    public sealed class Entry(Backend backend, long expiresAt, long lastTold, bool provisional)
    {
        private long _expiresAt = expiresAt;
        private long _lastTold = lastTold;

        public Backend Backend { get; } = backend;

        /// <summary>A fallback guess made while the owner could not be asked: kept briefly, never renewed.</summary>
        public bool Provisional { get; } = provisional;

        public long ExpiresAt => Volatile.Read(ref _expiresAt);
        public long LastTold => Volatile.Read(ref _lastTold);

        /// <summary>
        /// True for the one caller that should tell the owner about this use: at most once per
        /// <paramref name="interval"/>. That caller's renewal also extends the entry to now + ttl, so the
        /// entry never outlives the owner's copy (which the renewal extends the same way).
        /// </summary>
        public bool TryClaimRenewal(long now, long interval, long ttl)
        {
            var last = Volatile.Read(ref _lastTold);
            if (Provisional || now - last < interval) return false;
            if (Interlocked.CompareExchange(ref _lastTold, now, last) != last) return false;
            Volatile.Write(ref _expiresAt, now + ttl);
            return true;
        }
    }

    public bool TryGet(ReadOnlySpan<char> key, out Entry entry)
    {
        if (_bySpan.TryGetValue(key, out entry!) && entry.ExpiresAt > _clock()) return true;
        entry = null!;
        return false;
    }

    /// <summary>Stores a binding learned now (from the owner, or told by it) for <paramref name="lifetime"/>.</summary>
    public Entry Set(string key, Backend backend, TimeSpan lifetime, bool provisional = false)
    {
        var now = _clock();
        var entry = new Entry(backend, now + (long)lifetime.TotalMilliseconds, now, provisional);
        if (_entries.TryAdd(key, entry))
        {
            if (Interlocked.Increment(ref _count) > Capacity) Sweep();
        }
        else
        {
            _entries[key] = entry;
        }
        return entry;
    }

    public void Remove(string key)
    {
        if (_entries.TryRemove(key, out _)) Interlocked.Decrement(ref _count);
    }

    /// <summary>
    /// The live (unexpired) bindings, by one walk of the dictionary (which takes no lock): for the CLI
    /// and the metrics scrape, never for the data path.
    /// </summary>
    public IEnumerable<KeyValuePair<string, Entry>> Live()
    {
        var now = _clock();
        foreach (var pair in _entries)
            if (pair.Value.ExpiresAt > now) yield return pair;
    }

    /// <summary>
    /// Counts the live bindings per backend into <paramref name="byOrdinal"/> (indexed by
    /// <see cref="Backend.Ordinal"/>; others are left out) in one walk, and returns the total live.
    /// </summary>
    public long CountLive(Span<long> byOrdinal)
    {
        var now = _clock();
        long total = 0;
        foreach (var pair in _entries)
        {
            if (pair.Value.ExpiresAt <= now) continue;
            total++;
            var ordinal = pair.Value.Backend.Ordinal;
            if ((uint)ordinal < (uint)byOrdinal.Length) byOrdinal[ordinal]++;
        }
        return total;
    }

    /// <summary>Drops expired entries, then arbitrary ones if still above 90% of capacity. One sweeper at a time; others go on.</summary>
    public void Sweep()
    {
        if (Interlocked.CompareExchange(ref _sweeping, 1, 0) != 0) return;
        try
        {
            var now = _clock();
            var target = Capacity * 9 / 10;
            var kept = 0;
            foreach (var pair in _entries)
            {
                if (pair.Value.ExpiresAt <= now || kept >= target) _entries.TryRemove(pair);
                else kept++;
            }
            Volatile.Write(ref _count, _entries.Count);
        }
        finally
        {
            Volatile.Write(ref _sweeping, 0);
        }
    }

    /// <summary>
    /// Drops every binding to <paramref name="backend"/>: it stopped keeping sessions here, and its
    /// sessions' owners may rebind them (through another node) while it is away; when it returns,
    /// a stale entry would send a session back to it. One walk, off the data path; returns the count.
    /// </summary>
    public int RemoveBoundTo(Backend backend)
    {
        var removed = 0;
        foreach (var pair in _entries)
            if (ReferenceEquals(pair.Value.Backend, backend) && _entries.TryRemove(pair))
            {
                Interlocked.Decrement(ref _count);
                removed++;
            }
        return removed;
    }
}
