using Akka.Actor;
using Akka.Cluster;
using Akka.DistributedData;
using Akka.Event;
using Drover.Core.Configuration;
using Drover.Core.Health;
using Drover.Core.Pools;

namespace Drover.Node.Health.Cluster;

/// <summary>
/// The one place in the cluster that decides a backend's health (sharded type
/// <c>backend-health</c>, entity id <c>pool/backend</c>). It runs the backend's active check (one
/// prober for the cluster, not one per node), applies rise/fall with <see cref="BackendHealth"/>, and
/// counts the nodes that currently report the backend as passively ejected. Verdict: down when the
/// checks say so; ejected when at least <c>health.quorum</c> nodes report it failing (one node's bad
/// link alone ejects only on that node); else up. Every change is written to DistributedData
/// (<see cref="BackendHealthProtocol.VerdictsKey"/>, write-all so it reaches every node at once),
/// where every pool actor subscribes.
/// </summary>
/// <remarks>
/// When the entity moves (its node crashed or left), the new incarnation starts from the verdict
/// last published, so a backend that was down does not come back until its checks say so.
/// Node reports expire at the ejection's end, or when their node leaves the cluster.
/// </remarks>
public sealed class BackendHealthEntity : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan SweepInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(2);

    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly string _pool;
    private readonly string _backendId;
    private readonly HealthConfig _config;
    private readonly BackendConfig _backend;
    private readonly int _ordinal;
    private readonly BackendHealth _checks;
    private readonly Dictionary<string, BackendHealthProtocol.NodeReport> _reports = new(StringComparer.Ordinal);
    private readonly IActorRef _replicator;
    private readonly Akka.Cluster.Cluster _cluster;
    private BackendHealthProtocol.Verdict? _published;

    public BackendHealthEntity(string entityId, DroverConfig config)
    {
        var slash = entityId.IndexOf('/');
        _pool = slash < 0 ? entityId : entityId[..slash];
        _backendId = slash < 0 ? "" : entityId[(slash + 1)..];
        var pool = config.Pools.FirstOrDefault(p => p.Name == _pool)
                   ?? throw new ArgumentException($"backend-health entity '{entityId}': no pool '{_pool}' in this node's config");
        _ordinal = pool.Backends.ToList().FindIndex(b => b.Id == _backendId);
        if (_ordinal < 0) throw new ArgumentException($"backend-health entity '{entityId}': pool '{_pool}' has no backend '{_backendId}'");
        _backend = pool.Backends[_ordinal];
        _config = pool.Health;
        // Only the active rules run here; passive faults are judged on each node and arrive as reports.
        _checks = new BackendHealth(_config with { Passive = PassiveHealthConfig.Off }, Now);
        _replicator = DistributedData.Get(Context.System).Replicator;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);

        Receive<BackendHealthProtocol.Watch>(_ => { });
        Receive<BackendHealthProtocol.Retire>(_ =>
        {
            _log.Info("backend {0}/{1}: health entity stops after a reload; the next watch starts it from the current config", _pool, _backendId);
            Context.Stop(Self);
        });
        Receive<BackendHealthProtocol.NodeReport>(OnReport);
        Receive<ProbeResult>(OnProbe);
        Receive<GetSuccess>(OnRead);
        Receive<NotFound>(_ => StartChecks());
        Receive<GetFailure>(_ => StartChecks());
        Receive<UpdateSuccess>(_ => { });
        Receive<UpdateTimeout>(t => _log.Debug("backend {0}/{1}: verdict written locally; not every node acknowledged in time", _pool, _backendId));
        Receive<Sweep>(_ => OnSweep());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    private static TimeSpan Now => System.Diagnostics.Stopwatch.GetElapsedTime(0);

    protected override void PreStart()
    {
        // The verdict last published (by an earlier incarnation, on whatever node) is the starting point.
        _replicator.Tell(Dsl.Get(BackendHealthProtocol.VerdictsKey(_pool), ReadLocal.Instance));
        Timers.StartPeriodicTimer("sweep", Sweep.Instance, SweepInterval);
    }

    private void OnRead(GetSuccess success)
    {
        if (success.Get(BackendHealthProtocol.VerdictsKey(_pool)).TryGetValue(_backendId, out var text))
        {
            var verdict = BackendHealthProtocol.Verdict.Decode(text);
            _published = verdict;
            if (verdict.Status == BackendHealthStatus.Down)
            {
                // Resume down: as many failed checks as it takes, so that `rise` good ones bring it back.
                for (var i = 0; i < Math.Max(1, _config.Active.Fall); i++) _checks.OnProbe(false, $"restored verdict: {verdict.Reason}", Now);
            }
        }
        StartChecks();
    }

    private void StartChecks()
    {
        if (!_config.Active.Enabled || Context.Child("check") is not Nobody) return;
        var backend = new Backend(_pool, _backend, _ordinal);
        Context.ActorOf(HealthCheckActor.Props(_config.Active, backend, Self), "check");
    }

    private void OnProbe(ProbeResult result)
    {
        var transition = _checks.OnProbe(result.Ok, result.Detail, Now);
        if (transition is not null) Decide();
    }

    private void OnReport(BackendHealthProtocol.NodeReport report)
    {
        if (report.Ejected) _reports[report.Node] = report;
        else if (!_reports.Remove(report.Node)) return;
        Decide();
    }

    private void OnSweep()
    {
        var now = DateTime.UtcNow;
        var members = _cluster.State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Select(m => m.Address.ToString()).ToHashSet(StringComparer.Ordinal);
        var expired = _reports.Values.Where(r => r.EjectedUntilUtc <= now || !members.Contains(r.Node)).Select(r => r.Node).ToList();
        foreach (var node in expired) _reports.Remove(node);
        if (expired.Count > 0) Decide();
    }

    /// <summary>Computes the verdict and publishes it when it changed.</summary>
    private void Decide()
    {
        BackendHealthProtocol.Verdict verdict;
        if (!_checks.ActiveUp)
            verdict = new BackendHealthProtocol.Verdict(BackendHealthStatus.Down, _checks.LastTransition?.Reason ?? "active checks failed");
        else if (_reports.Count >= Math.Max(1, _config.Quorum))
            verdict = new BackendHealthProtocol.Verdict(BackendHealthStatus.Ejected,
                $"ejected on {_reports.Count} nodes (quorum {_config.Quorum}): {_reports.Values.First().Reason}");
        else
            verdict = BackendHealthProtocol.Verdict.Up;

        var previous = _published ?? BackendHealthProtocol.Verdict.Up;
        if (previous.Status == verdict.Status && (_published is not null || verdict.Status == BackendHealthStatus.Up)) return;
        _published = verdict;
        var line = $"pool {_pool}: backend {_backendId} cluster verdict {Name(previous.Status)} -> {Name(verdict.Status)}" +
                   (verdict.Reason.Length > 0 ? $": {verdict.Reason}" : "");
        if (verdict.Status == BackendHealthStatus.Up) _log.Info(line);
        else _log.Warning(line);

        var key = BackendHealthProtocol.VerdictsKey(_pool);
        var encoded = verdict.Encode();
        _replicator.Tell(Dsl.Update(key, LWWDictionary<string, string>.Empty, new WriteAll(WriteTimeout),
            d => d.SetItem(_cluster, _backendId, encoded)));
    }

    internal static string Name(BackendHealthStatus status) => status.ToString().ToLowerInvariant();

    private sealed record Sweep
    {
        public static readonly Sweep Instance = new();
    }

    public static Props Props(string entityId, DroverConfig config) =>
        Akka.Actor.Props.Create(() => new BackendHealthEntity(entityId, config));
}
