using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Drover.Core.Sessions;

namespace Drover.Node.Sessions;

/// <summary>
/// One per node (<c>/user/sessions</c>). It is the sender of the data path's renewals, so an owner
/// can answer a renewal that named a stale backend with <see cref="SessionProtocol.BindingChanged"/>,
/// which this actor writes into the pool's cache. It also sweeps the replicated store: a binding whose
/// owner crashed before expiring it would otherwise stay forever, so every
/// <see cref="SessionOptions.SweepInterval"/> each node removes the expired records of its share of
/// the store keys (key i belongs to the node at position i mod n among the up members).
/// </summary>
public sealed class SessionNodeActor : ReceiveActor, IWithTimers
{
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly SessionService _service;
    private readonly Akka.Cluster.Cluster _cluster = Akka.Cluster.Cluster.Get(Context.System);

    public SessionNodeActor(SessionService service)
    {
        _service = service;
        Receive<SessionProtocol.BindingChanged>(changed => _service.For(changed.Pool)?.OnBindingChanged(changed.Key, changed.Backend));
        Receive<SessionProtocol.Binding>(_ => { }); // the answer to a told Bind
        Receive<Sweep>(_ => OnSweep());
        Receive<UpdateSuccess>(_ => { });
        Receive<IUpdateFailure>(failure => _log.Debug("session sweep: removal not replicated yet ({0})", failure.GetType().Name));
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart() =>
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, _service.Options.SweepInterval);

    private void OnSweep()
    {
        var up = _cluster.State.Members.Where(m => m.Status == MemberStatus.Up).Select(m => m.UniqueAddress).OrderBy(a => a).ToList();
        var rank = up.IndexOf(_cluster.SelfUniqueAddress);
        if (rank < 0) return;
        var store = _service.Store;
        for (var i = rank; i < store.Keys.Length; i += up.Count)
            if (store.LocalData(i) is { } data) SweepKey(store.Keys[i], data);
    }

    private void SweepKey(LWWDictionaryKey<string, string> key, LWWDictionary<string, string> data)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var expired = data.Entries
            .Where(e => !SessionRecord.TryParse(e.Value, out var record) || record.IsExpired(now))
            .Select(e => e.Key)
            .ToList();
        if (expired.Count == 0) return;
        _log.Debug("session sweep: removing {0} expired bindings from {1}", expired.Count, key.Id);
        _service.Store.Replicator.Tell(Dsl.Update(key, LWWDictionary<string, string>.Empty, WriteLocal.Instance, data =>
        {
            foreach (var id in expired)
                if (data.TryGetValue(id, out var text) && (!SessionRecord.TryParse(text, out var record) || record.IsExpired(now)))
                    data = data.Remove(_cluster, id);
            return data;
        }));
    }

    public static Props Props(SessionService service) => Akka.Actor.Props.Create(() => new SessionNodeActor(service));

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }
}
