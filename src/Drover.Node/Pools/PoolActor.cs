using Akka.Actor;
using Akka.Event;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Pools;

namespace Drover.Node.Pools;

/// <summary>
/// Owns one pool: its backends and the snapshot the data path reads. Every change produces a new
/// immutable snapshot, published through the pool's <see cref="PoolHandle"/>. The data path never
/// waits for this actor; it only tells it what it saw.
/// </summary>
public sealed class PoolActor : ReceiveActor
{
    private static readonly TimeSpan FailureLogInterval = TimeSpan.FromSeconds(10);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly PoolHandle _handle;
    private readonly PoolConfig _config;
    private readonly Backend[] _backends;
    private readonly Dictionary<string, DateTime> _lastFailureLog = new();
    private long _version;

    public PoolActor(PoolConfig config, PoolHandle handle, Backend[] backends)
    {
        _config = config;
        _handle = handle;
        _backends = backends;
        _version = handle.Snapshot.Version;

        Receive<PoolProtocol.ConnectFailed>(OnConnectFailed);
        Receive<PoolProtocol.GetState>(_ => Sender.Tell(State()));
    }

    protected override void PreStart()
    {
        _handle.Actor = Self;
        Publish();
    }

    /// <summary>Builds the snapshot for the current state and swaps it in.</summary>
    private void Publish()
    {
        var snapshot = PoolSnapshot.Build(_config, ++_version, _backends, b => b.ConfiguredWeight);
        _handle.Publish(snapshot);
    }

    private void OnConnectFailed(PoolProtocol.ConnectFailed failed)
    {
        // The data path already retried elsewhere; here we only make it visible without flooding the log.
        var now = DateTime.UtcNow;
        if (_lastFailureLog.TryGetValue(failed.BackendId, out var last) && now - last < FailureLogInterval) return;
        _lastFailureLog[failed.BackendId] = now;
        _log.Warning("pool {0}: backend {1} connect failed: {2}", _config.Name, failed.BackendId, failed.Reason);
    }

    private PoolProtocol.PoolState State()
    {
        var snapshot = _handle.Snapshot;
        var backends = _backends.Select(b =>
        {
            var index = Array.IndexOf(snapshot.Candidates, b);
            return new PoolProtocol.BackendState(b.Id, b.Address.ToString(), index >= 0 ? snapshot.Weights[index] : 0,
                index >= 0, b.Active, b.Requests, b.Failures, b.LatencyEwma.TotalMilliseconds);
        }).ToList();
        return new PoolProtocol.PoolState(_config.Name, _config.Balance.ToConfigName(), snapshot.Version, backends);
    }

    public static Props Props(PoolConfig config, PoolHandle handle, Backend[] backends) =>
        Akka.Actor.Props.Create(() => new PoolActor(config, handle, backends));
}
