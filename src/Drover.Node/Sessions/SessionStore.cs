using System.Globalization;
using Akka.Actor;
using Akka.DistributedData;
using Drover.Core.Sessions;

namespace Drover.Node.Sessions;

/// <summary>
/// Where bindings are replicated: <see cref="SessionOptions.StoreKeys"/> DistributedData keys, each an
/// <c>LWWDictionary&lt;entity id, record&gt;</c> (<see cref="SessionRecord"/>), an entity's key chosen by a
/// stable hash of its id. Splitting keeps each replicated value (and each full-state gossip) small.
/// Entities go through <see cref="Actor"/>, which batches; the data path reads the local replica directly.
/// </summary>
public sealed class SessionStore
{
    private const ulong StoreSalt = 0x53544F5245UL; // "STORE"

    private readonly LWWDictionary<string, string>?[] _local;

    public SessionStore(ActorSystem system, SessionOptions options)
    {
        Replicator = DistributedData.Get(system).Replicator;
        Keys = Enumerable.Range(0, options.StoreKeys)
            .Select(i => new LWWDictionaryKey<string, string>("drover-sessions-" + i.ToString(CultureInfo.InvariantCulture)))
            .ToArray();
        _local = new LWWDictionary<string, string>?[Keys.Length];
        Actor = system.ActorOf(SessionStoreActor.Props(this, options), "session-store");
    }

    public IActorRef Replicator { get; }

    /// <summary>The node's <see cref="SessionStoreActor"/>.</summary>
    public IActorRef Actor { get; }

    public LWWDictionaryKey<string, string>[] Keys { get; }

    public int IndexOf(string entityId) => SessionKeys.Bucket(entityId, Keys.Length, StoreSalt);

    public LWWDictionaryKey<string, string> KeyFor(string entityId) => Keys[IndexOf(entityId)];

    /// <summary>
    /// The binding in this node's replica as last published to subscribers (the replicator notifies
    /// changes every 500 ms), read without any actor: the data path's fallback while an owner is
    /// unreachable, and a settled shard's new sessions. Immutable values behind a volatile slot.
    /// </summary>
    public SessionRecord? ReadLocal(string entityId)
    {
        var data = Volatile.Read(ref _local[IndexOf(entityId)]);
        return data is not null && data.TryGetValue(entityId, out var text) && SessionRecord.TryParse(text, out var record) ? record : null;
    }

    /// <summary>Store key <paramref name="index"/> as last published (null before the first notification).</summary>
    public LWWDictionary<string, string>? LocalData(int index) => Volatile.Read(ref _local[index]);

    internal void Publish(int index, LWWDictionary<string, string> data) => Volatile.Write(ref _local[index], data);
}
