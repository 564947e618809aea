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

    public SessionStore(ActorSystem system, SessionOptions options)
    {
        Replicator = DistributedData.Get(system).Replicator;
        Keys = Enumerable.Range(0, options.StoreKeys)
            .Select(i => new LWWDictionaryKey<string, string>("drover-sessions-" + i.ToString(CultureInfo.InvariantCulture)))
            .ToArray();
        Actor = system.ActorOf(SessionStoreActor.Props(this, options), "session-store");
    }

    public IActorRef Replicator { get; }

    /// <summary>The node's <see cref="SessionStoreActor"/>.</summary>
    public IActorRef Actor { get; }

    public LWWDictionaryKey<string, string>[] Keys { get; }

    public int IndexOf(string entityId) => SessionKeys.Bucket(entityId, Keys.Length, StoreSalt);

    public LWWDictionaryKey<string, string> KeyFor(string entityId) => Keys[IndexOf(entityId)];

    /// <summary>The binding in this node's replica, without asking any other node (the fallback when the owner is unreachable).</summary>
    public async Task<SessionRecord?> ReadLocalAsync(string entityId, TimeSpan timeout)
    {
        var key = KeyFor(entityId);
        var response = await Replicator.Ask<IGetResponse>(Dsl.Get(key, ReadLocal.Instance), timeout);
        if (response is GetSuccess success && success.Get(key).TryGetValue(entityId, out var text) && SessionRecord.TryParse(text, out var record))
            return record;
        return null;
    }
}
