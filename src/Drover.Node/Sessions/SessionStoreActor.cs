using Akka.Actor;
using Akka.DistributedData;
using Akka.Event;
using Drover.Core.Sessions;

namespace Drover.Node.Sessions;

/// <summary>
/// The node's one door to the replicated bindings (<c>/user/session-store</c>). Session entities
/// ask it to load, save and delete their records; it batches them per store key, with at most one
/// majority read and one majority write in flight per key: whatever arrives meanwhile goes out
/// together when that one completes. It also subscribes to every store key and publishes the local
/// replica's values in <see cref="SessionStore"/>, where local reads find them without a round trip. An idle key costs a request one round trip, as a direct write
/// would; a burst of new sessions on one key costs one round trip per batch instead of one per
/// session, and the replicator never has more than two operations per key queued from this node.
/// </summary>
public sealed class SessionStoreActor : ReceiveActor
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SessionStore _store;
    private readonly SessionOptions _options;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);
    private readonly KeyState[] _keys;
    private readonly Dictionary<string, int> _indexById;

    public SessionStoreActor(SessionStore store, SessionOptions options)
    {
        _store = store;
        _options = options;
        _keys = store.Keys.Select(_ => new KeyState()).ToArray();
        _indexById = store.Keys.Select((key, i) => (key.Id, i)).ToDictionary(k => k.Id, k => k.i);

        Receive<StoreProtocol.Load>(load => load.Majority, load => Enqueue(load.EntityId, state => state.PendingReads.Add((Sender, load.EntityId)), StartRead));
        // A settled shard: the subscribed copy of the local replica answers at once (no replicator round
        // trip, which under a burst of writes waits behind them).
        Receive<StoreProtocol.Load>(load => Sender.Tell(new StoreProtocol.Loaded(load.EntityId, _store.ReadLocal(load.EntityId))));
        Receive<Changed>(changed =>
        {
            if (_indexById.TryGetValue(changed.Key.Id, out var index)) _store.Publish(index, changed.Get(_store.Keys[index]));
        });
        Receive<StoreProtocol.Save>(save => Enqueue(save.EntityId, state => state.PendingWrites.Add(new Write(save.EntityId, save.Record.Format(), null)), StartWrite));
        Receive<StoreProtocol.Delete>(delete => Enqueue(delete.EntityId, state => state.PendingWrites.Add(new Write(delete.EntityId, null, Sender)), StartWrite));
        Receive<GetSuccess>(success => success.Request is ReadBatch batch, success => ReadDone((ReadBatch)success.Request, success.Get(_store.Keys[((ReadBatch)success.Request).Index])));
        Receive<NotFound>(notFound => notFound.Request is ReadBatch, notFound => ReadDone((ReadBatch)notFound.Request, null));
        Receive<GetFailure>(failure => failure.Request is ReadBatch, failure => ReadFailed((ReadBatch)failure.Request));
        Receive<UpdateSuccess>(success => success.Request is WriteBatch, success => WriteDone((WriteBatch)success.Request, ok: true));
        Receive<IUpdateFailure>(failure => failure.Request is WriteBatch, failure =>
        {
            var batch = (WriteBatch)failure.Request;
            _log.Warning("session store: a write of {0} bindings to {1} did not reach a majority ({2}); they are in this node's replica and spread by gossip",
                batch.Writes.Count, _store.Keys[batch.Index].Id, failure.GetType().Name);
            WriteDone(batch, ok: false);
        });
    }

    protected override void PreStart()
    {
        foreach (var key in _store.Keys) _store.Replicator.Tell(Dsl.Subscribe(key, Self));
    }

    private void Enqueue(string entityId, Action<KeyState> add, Action<int> start)
    {
        var index = _store.IndexOf(entityId);
        add(_keys[index]);
        start(index);
    }

    private void StartRead(int index)
    {
        var state = _keys[index];
        if (state.ReadInFlight || state.PendingReads.Count == 0) return;
        state.ReadInFlight = true;
        var batch = new ReadBatch(index, state.PendingReads.ToList(), Majority: true);
        state.PendingReads.Clear();
        _store.Replicator.Tell(Dsl.Get(_store.Keys[index], new ReadMajority(_options.ReadTimeout), batch));
    }

    private void ReadFailed(ReadBatch batch)
    {
        if (!batch.Majority)
        {
            ReadDone(batch, null);
            return;
        }
        _log.Warning("session store: no majority answered a read of {0}; {1} sessions use this node's replica", _store.Keys[batch.Index].Id, batch.Readers.Count);
        _store.Replicator.Tell(Dsl.Get(_store.Keys[batch.Index], ReadLocal.Instance, batch with { Majority = false }));
    }

    private void ReadDone(ReadBatch batch, LWWDictionary<string, string>? data)
    {
        foreach (var (reader, entityId) in batch.Readers)
        {
            SessionRecord? record = data is not null && data.TryGetValue(entityId, out var text) && SessionRecord.TryParse(text, out var parsed) ? parsed : null;
            reader.Tell(new StoreProtocol.Loaded(entityId, record));
        }
        _keys[batch.Index].ReadInFlight = false;
        StartRead(batch.Index);
    }

    private void StartWrite(int index)
    {
        var state = _keys[index];
        if (state.WriteInFlight || state.PendingWrites.Count == 0) return;
        state.WriteInFlight = true;
        var writes = state.PendingWrites.ToList();
        state.PendingWrites.Clear();
        var cluster = _cluster;
        _store.Replicator.Tell(Dsl.Update(_store.Keys[index], LWWDictionary<string, string>.Empty, new WriteMajority(_options.WriteTimeout),
            new WriteBatch(index, writes), data =>
            {
                foreach (var write in writes)
                    data = write.Record is null ? data.Remove(cluster, write.EntityId) : data.SetItem(cluster, write.EntityId, write.Record);
                return data;
            }));
    }

    private void WriteDone(WriteBatch batch, bool ok)
    {
        foreach (var write in batch.Writes)
            write.Deleter?.Tell(new StoreProtocol.Deleted(write.EntityId, ok));
        _keys[batch.Index].WriteInFlight = false;
        StartWrite(batch.Index);
    }

    public static Props Props(SessionStore store, SessionOptions options) =>
        Akka.Actor.Props.Create(() => new SessionStoreActor(store, options));

    private sealed class KeyState
    {
        public readonly List<(IActorRef Reader, string EntityId)> PendingReads = new();
        public readonly List<Write> PendingWrites = new();
        public bool ReadInFlight;
        public bool WriteInFlight;
    }

    /// <summary>A record to set, or (null) a removal whose requester waits for it.</summary>
    private sealed record Write(string EntityId, string? Record, IActorRef? Deleter);

    private sealed record ReadBatch(int Index, List<(IActorRef Reader, string EntityId)> Readers, bool Majority);

    private sealed record WriteBatch(int Index, List<Write> Writes);
}
