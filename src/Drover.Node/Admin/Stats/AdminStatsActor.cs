using Akka.Actor;
using Drover.Core.Balancing;
using Drover.Core.Configuration;
using Drover.Core.Pools;
using Drover.Node.LoadBalancing;
using Drover.Node.Pools;
using static Drover.Node.Admin.Stats.AdminStatsProtocol;

namespace Drover.Node.Admin.Stats;

/// <summary>
/// This node's stats for the <c>/stats</c> page (<c>/user/admin-stats</c>, on every node, also when its
/// admin endpoint is off, so other nodes' pages still show it). Once a second it samples the
/// counters the data path keeps and turns them into rates; on <see cref="GetLocalStats"/> it asks each
/// pool actor for its state and answers with a <see cref="NodeStats"/>. It never waits: the asks
/// complete off the actor and the reply is piped to the asker.
/// </summary>
public sealed class AdminStatsActor : ReceiveActor, IWithTimers
{
    private static readonly TimeSpan SampleInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan PoolAskTimeout = TimeSpan.FromSeconds(2);

    private readonly DroverRuntime _runtime;
    // The config in force (a reload replaces it).
    private DroverConfig _config => _runtime.Config;
    private readonly Func<Readiness.Result> _readiness;
    private readonly Func<string> _adminEndPoint;
    private readonly string _address;
    private readonly string _version;
    private Dictionary<string, long> _lastCounts = new();
    private long _lastSample;

    /// <summary>Rates per backend (<c>pool/id</c>) and listener (<c>listener</c>), replaced whole each second so a reply can share it.</summary>
    private IReadOnlyDictionary<string, double> _rates = new Dictionary<string, double>();

    public AdminStatsActor(DroverRuntime runtime, DroverConfig config, Func<Readiness.Result> readiness, Func<string> adminEndPoint)
    {
        _runtime = runtime;
        _readiness = readiness;
        _adminEndPoint = adminEndPoint;
        _address = Akka.Cluster.Cluster.Get(Context.System).SelfAddress.ToString();
        _version = Commands.CommandHostActor.VersionOf(typeof(AdminStatsActor).Assembly);

        Receive<Sample>(_ => TakeSample());
        Receive<GetLocalStats>(_ =>
        {
            var ready = _readiness();
            var header = new NodeStats(_address, _version, ready.Ready, ready.Reason, _adminEndPoint(), DateTime.UtcNow, ListenerStatsNow(_rates), []);
            CollectAsync(header, _runtime.Pools.Values.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray(), _rates).PipeTo(Sender);
        });
    }

    public ITimerScheduler Timers { get; set; } = null!;

    protected override void PreStart()
    {
        TakeSample();
        Timers.StartPeriodicTimer("sample", Sample.Instance, SampleInterval);
    }

    private void TakeSample()
    {
        var now = Environment.TickCount64;
        var seconds = (now - _lastSample) / 1000.0;
        var counts = new Dictionary<string, long>();
        foreach (var pool in _runtime.Pools.Values)
        foreach (var backend in pool.Snapshot.Backends)
            counts[$"{pool.Name}/{backend.Id}"] = backend.Requests;
        foreach (var (name, counters) in _runtime.ListenerCounters)
            counts[name] = IsHttp(name) ? counters.Requests : counters.Connections;

        var rates = new Dictionary<string, double>(counts.Count);
        foreach (var (key, count) in counts)
            rates[key] = _lastSample != 0 && seconds > 0 && _lastCounts.TryGetValue(key, out var last) ? Math.Max(0, count - last) / seconds : 0;
        _lastCounts = counts;
        _lastSample = now;
        _rates = rates;
    }

    private bool IsHttp(string listener) =>
        _config.Listeners.FirstOrDefault(l => l.Name == listener)?.Mode == ListenerMode.Http;

    private IReadOnlyList<ListenerStats> ListenerStatsNow(IReadOnlyDictionary<string, double> rates) =>
        _config.Listeners.Select(l =>
        {
            var counters = _runtime.ListenerCounters.GetValueOrDefault(l.Name);
            var http = l.Mode == ListenerMode.Http;
            return new ListenerStats(l.Name, http ? "http" : "tcp",
                _runtime.Listeners.TryGetValue(l.Name, out var bound) ? bound.ToString()! : "",
                counters is null ? 0 : http ? counters.Requests : counters.Connections,
                rates.GetValueOrDefault(l.Name),
                counters?.Connections ?? 0, counters?.ActiveConnections ?? 0, counters?.BytesIn ?? 0, counters?.BytesOut ?? 0)
            {
                Responses = http && counters is not null ? ByClass(counters.StatusCount) : [],
            };
        }).ToList();

    /// <summary>Runs off the actor: only the immutable arguments and the thread-safe counters are read here.</summary>
    private static async Task<NodeStats> CollectAsync(NodeStats header, PoolHandle[] pools, IReadOnlyDictionary<string, double> rates)
    {
        var states = await Task.WhenAll(pools.Select(async pool =>
        {
            try
            {
                return await pool.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, PoolAskTimeout).ConfigureAwait(false);
            }
            catch (Exception)
            {
                return null; // stopping, or too busy to answer: show the counters without health
            }
        })).ConfigureAwait(false);

        var result = new List<PoolStats>(pools.Length);
        for (var i = 0; i < pools.Length; i++)
        {
            var pool = pools[i];
            var state = states[i];
            var sessions = SessionCount.Of(pool);
            var backends = pool.Snapshot.Backends.Select(b =>
            {
                var s = state?.Backends.FirstOrDefault(x => x.Id == b.Id);
                return new BackendStats(b.Id, b.Address.ToString(), s?.Health ?? "unknown", s?.HealthReason ?? "", s?.Admin ?? "unknown",
                    s?.Drained ?? false, s?.Weight ?? 0, b.ConfiguredWeight, b.Active, b.Requests,
                    rates.GetValueOrDefault($"{pool.Name}/{b.Id}"), b.Failures, b.Retries, b.LatencyEwma.TotalMilliseconds,
                    sessions.For(b))
                {
                    SetWeight = s?.SetWeight,
                    Responses = ByClass(b.StatusCount),
                    Connections = b.Connections,
                    BytesIn = b.BytesIn,
                    BytesOut = b.BytesOut,
                };
            }).ToList();
            result.Add(new PoolStats(pool.Name, pool.Config.Balance.ToConfigName(), state is not null, state?.Panic ?? false,
                pool.Queue?.Waiting ?? 0, sessions.Total, backends)
            {
                Sticky = pool.Config.Sticky.Enabled,
                RetriesDenied = pool.RetryBudget.Denied,
            });
        }
        return header with { Pools = result };
    }

    /// <summary>Counts by status class, in <see cref="StatusClass"/> order (1xx, 2xx, 3xx, 4xx, 5xx, other).</summary>
    private static long[] ByClass(Func<int, long> count)
    {
        var result = new long[StatusClass.Count];
        for (var c = 0; c < result.Length; c++) result[c] = count(c);
        return result;
    }

    private sealed record Sample
    {
        public static readonly Sample Instance = new();
    }

    public static Props Props(DroverRuntime runtime, DroverConfig config, Func<Readiness.Result> readiness, Func<string> adminEndPoint) =>
        Akka.Actor.Props.Create(() => new AdminStatsActor(runtime, config, readiness, adminEndPoint));
}
