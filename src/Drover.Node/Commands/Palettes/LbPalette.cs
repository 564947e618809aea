using Akka.Actor;
using Drover.Core.Commands;
using Drover.Core.Configuration;
using Drover.Core.Pools;
using Drover.Node.LoadBalancing;
using Drover.Node.Pools;

namespace Drover.Node.Commands.Palettes;

/// <summary>
/// The <c>lb</c> palette: the load balancer as this node sees it (listeners, pools, backends with
/// health, admin state, weight and counters) and the admin states, which apply cluster-wide.
/// </summary>
public sealed class LbPalette : CommandPalette
{
    private static readonly TimeSpan AskTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan WriteTimeout = TimeSpan.FromSeconds(3);

    private readonly DroverRuntime _runtime;

    // The config in force (a reload replaces it), never the start-up singleton.
    private DroverConfig _config => _runtime.Config;

    public LbPalette(DroverRuntime runtime, DroverConfig config) : base("lb", "listeners, pools and backends; admin states (cluster-wide)")
    {
        _runtime = runtime;
        var pool = new ArgumentSpec("pool", "p", "the pool", Required: true);
        var backend = new ArgumentSpec("backend", "b", "the backend's id", Required: true);
        Add(new CommandSpec("listeners", "every listener: name | mode | bound address | pools"), Listeners);
        Add(new CommandSpec("pools", "every pool: name | balance | backends taking traffic | version"), Pools);
        Add(new CommandSpec("backends", "a pool's backends: id | address | health | admin | weight | active | requests | failures | retries | reason", pool), Backends);
        Add(new CommandSpec("sessions", "a pool's sticky sessions in this node's cache: key | backend | expires in; with -k, the session as its owner has it",
            pool, new ArgumentSpec("key", "k", "a session key (cookie mode: the session id, or the whole cookie value)")), SessionsAsync);
        Add(new CommandSpec("weight", $"set a backend's weight on every node: 0 (no new traffic) to {BackendConfig.MaxWeight}, or 'config' for the configured one",
            pool, backend, new ArgumentSpec("weight", "w", $"0 to {BackendConfig.MaxWeight}, or config", Required: true)), WeightAsync);
        Add(new CommandSpec("stats", "this node's counters, one table per listener and pool (what /stats.json has for this node)",
            new ArgumentSpec("pool", "p", "only this pool")), StatsAsync);
        Add(new CommandSpec("config", "the running drover section as HOCON (secrets hidden)"), ConfigAsync);
        Add(new CommandSpec("drain", "stop new traffic to a backend, on every node; what is in flight finishes (then 'drain complete' is logged)", pool, backend),
            (r, c, t) => SetAsync(r, c, AdminState.Drain, t));
        Add(new CommandSpec("ready", "let a backend take traffic again, on every node", pool, backend), (r, c, t) => SetAsync(r, c, AdminState.Ready, t));
        Add(new CommandSpec("maint", "take a backend out entirely (sticky sessions too), on every node", pool, backend),
            (r, c, t) => SetAsync(r, c, AdminState.Maint, t));
        Add(new CommandSpec("reload", "read the node's config file again and apply its drover section; an invalid one is rejected and the running config stays"), ReloadAsync);
    }

    private async Task<CommandResult> ReloadAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        if (_runtime.Reloader is not { } reloader)
            return CommandResult.Fail("lb reload: this node has no config reloader");
        var outcome = await reloader.ReloadAsync("lb reload", cancellationToken: cancellationToken).ConfigureAwait(false);
        if (!outcome.Applied) return CommandResult.Fail($"lb reload: rejected, the running config stays: {outcome.ErrorText}");
        context.WriteLines([.. outcome.Notes.Select(n => $"note: {n}"), $"reload: {outcome.Summary}"]);
        return CommandResult.Success;
    }

    private Task<CommandResult> Listeners(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var lines = _config.Listeners.OrderBy(l => l.Name, StringComparer.Ordinal)
            .Select(l => $"{l.Name} | {l.Mode.ToString().ToLowerInvariant()} | {(_runtime.Listeners.TryGetValue(l.Name, out var bound) ? bound.ToString() : "not bound")}" +
                         (l.Mode == ListenerMode.Http ? $" | routes to {string.Join(", ", l.Routes.Select(r => r.Pool).Distinct())}" : $" | pool {l.Pool ?? "(sni only)"}"))
            .ToList();
        lines.Add($"Count: {_config.Listeners.Count} listeners");
        context.WriteLines(lines);
        return Task.FromResult(CommandResult.Success);
    }

    private async Task<CommandResult> Pools(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var lines = new List<string>();
        foreach (var handle in _runtime.Pools.Values.OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var state = await StateAsync(handle, cancellationToken).ConfigureAwait(false);
            var taking = state.Backends.Count(b => b.Candidate);
            lines.Add($"{state.Pool} | {state.Balance} | {taking}/{state.Backends.Count} taking traffic | v{state.Version}" +
                      (state.Panic ? " | panic" : "") + (state.QueueWaiting > 0 ? $" | {state.QueueWaiting} queued" : ""));
        }
        lines.Add($"Count: {lines.Count} pools");
        context.WriteLines(lines);
        return CommandResult.Success;
    }

    private async Task<CommandResult> Backends(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var handle = Pool(request);
        var state = await StateAsync(handle, cancellationToken).ConfigureAwait(false);
        var lines = state.Backends.Select(b =>
            $"{b.Id} | {b.Address} | {b.Health} | {b.Admin}{(b.Drained ? " (drained)" : "")} | {WeightText(b)} | " +
            $"active {b.Active} | requests {b.Requests} | failures {b.Failures} | retries {b.Retries}" +
            (b.HealthReason.Length > 0 ? $" | {b.HealthReason}" : "")).ToList();
        lines.Add($"Count: {state.Backends.Count} backends");
        context.WriteLines(lines);
        return CommandResult.Success;
    }

    private async Task<CommandResult> SetAsync(CommandRequest request, CommandContext context, AdminState state, CancellationToken cancellationToken)
    {
        var handle = Pool(request);
        var id = request.Require("backend");
        if (handle.Snapshot.Find(id) is null)
            return CommandResult.Fail($"lb {state.ToConfigName()}: pool '{handle.Name}' has no backend '{id}' (backends: {string.Join(", ", handle.Snapshot.Backends.Select(b => b.Id))})");

        var everywhere = await AdminStateStore.SetAsync(context.System, handle.Name, id, state, WriteTimeout, cancellationToken).ConfigureAwait(false);
        // Wait until this node's pool actor shows it, so the line printed is the state now in force here.
        var deadline = DateTime.UtcNow + WriteTimeout;
        PoolProtocol.BackendState backend;
        do
        {
            backend = (await StateAsync(handle, cancellationToken).ConfigureAwait(false)).Backends.Single(b => b.Id == id);
            if (backend.Admin == state.ToConfigName()) break;
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        } while (DateTime.UtcNow < deadline);

        context.WriteLine($"{handle.Name}/{id}: {backend.Admin}{(backend.Drained ? " (drained)" : "")} | active {backend.Active}" +
                          (everywhere ? " | applied on every node" : " | not every node acknowledged within 3 s; it spreads by gossip"));
        return CommandResult.Success;
    }

    /// <summary>The config this palette answers from (one place, so a reloaded config needs one change here).</summary>
    private DroverConfig RunningConfig => _config;

    // ---- lb sessions ----

    private const int SessionLines = 100;

    private async Task<CommandResult> SessionsAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var handle = Pool(request);
        if (handle.Sessions is not { } sessions)
        {
            context.WriteLine($"pool '{handle.Name}' is not sticky (sticky = off): it keeps no sessions");
            return CommandResult.Success;
        }
        if (request.Get("key") is { } key) return await SessionAsync(sessions, key, context, cancellationToken).ConfigureAwait(false);

        var now = sessions.Cache.Now;
        var live = sessions.Cache.Live().ToList();
        var lines = live.OrderBy(p => p.Key, StringComparer.Ordinal).Take(SessionLines)
            .Select(p => $"{p.Key} | {p.Value.Backend.Id} | expires in {Span(TimeSpan.FromMilliseconds(Math.Max(0, p.Value.ExpiresAt - now)))}" +
                         (p.Value.Provisional ? " | provisional (owner did not answer)" : ""))
            .ToList();
        if (live.Count > SessionLines) lines.Add($"... and {live.Count - SessionLines} more");
        lines.Add($"Count: {live.Count} sessions in this node's cache (mode {sessions.Config.ModeText}, ttl {Span(sessions.Config.Ttl)}; -k KEY asks the session's owner)");
        context.WriteLines(lines);
        return CommandResult.Success;
    }

    /// <summary>Asks the session's owner (the sharded <c>session</c> entity <c>pool:key</c>) what it has; a key without a session starts an owner that finds none and stops.</summary>
    private static async Task<CommandResult> SessionAsync(Sessions.PoolSessions sessions, string key, CommandContext context, CancellationToken cancellationToken)
    {
        if (sessions.Service.Region is not { } region)
            return CommandResult.Fail($"lb sessions: sessions are not started on this node yet; try again");
        // A cookie session's key is its session id; accept the whole cookie value too.
        if (sessions.Config.Mode == Core.Sessions.StickyMode.Cookie && sessions.Service.Codec?.TryDecode(sessions.Name, key, out var cookie) == true)
            key = cookie.SessionId;
        var entityId = Core.Sessions.SessionKeys.EntityId(sessions.Name, key);
        var info = await region.Ask<Sessions.SessionProtocol.SessionInfo>(new Sessions.SessionProtocol.Describe(entityId), AskTimeout, cancellationToken)
            .ConfigureAwait(false);
        context.WriteLine(info.Backend is null
            ? $"{key} | no session | owner {info.Owner}"
            : $"{key} | {info.Backend} | owner {info.Owner} | last use {(info.LastUse is { } used ? Span(used) + " ago" : "unknown (not used since the owner started)")} | expires in {Span(info.ExpiresIn)}");
        return CommandResult.Success;
    }

    // ---- lb weight ----

    private async Task<CommandResult> WeightAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var handle = Pool(request);
        var id = request.Require("backend");
        var text = request.Require("weight").Trim();
        if (handle.Snapshot.Find(id) is null)
            return CommandResult.Fail($"lb weight: pool '{handle.Name}' has no backend '{id}' (backends: {string.Join(", ", handle.Snapshot.Backends.Select(b => b.Id))})");
        int? weight = null;
        if (!text.Equals("config", StringComparison.OrdinalIgnoreCase))
        {
            if (!BackendWeightStore.TryParse(text, out var w) || w > BackendConfig.MaxWeight)
                return CommandResult.Fail($"lb weight: -w/--weight: '{text}' is not a weight (a whole number from 0 to {BackendConfig.MaxWeight}, or 'config' for the configured weight)");
            weight = w;
        }

        var everywhere = await BackendWeightStore.SetAsync(context.System, handle.Name, id, weight, WriteTimeout, cancellationToken).ConfigureAwait(false);
        // Wait until this node's pool actor runs with it, so the line printed is what is in force here.
        var deadline = DateTime.UtcNow + WriteTimeout;
        PoolProtocol.BackendState backend;
        do
        {
            backend = (await StateAsync(handle, cancellationToken).ConfigureAwait(false)).Backends.Single(b => b.Id == id);
            if (backend.SetWeight == weight) break;
            await Task.Delay(20, cancellationToken).ConfigureAwait(false);
        } while (DateTime.UtcNow < deadline);

        context.WriteLine($"{handle.Name}/{id}: {WeightText(backend)}" +
                          (weight == 0 ? " | takes no new traffic (sticky sessions stay)" : "") +
                          (everywhere ? " | applied on every node" : " | not every node acknowledged within 3 s; it spreads by gossip"));
        return CommandResult.Success;
    }

    /// <summary>
    /// <c>weight NOW/CONFIGURED</c>, plus the weight set with <c>lb weight</c> when there is one: NOW is
    /// what new traffic is balanced with (0 when the backend takes none; scaled x10 while slow start ramps).
    /// </summary>
    internal static string WeightText(PoolProtocol.BackendState b) =>
        $"weight {b.Weight}/{b.ConfiguredWeight}" + (b.SetWeight is { } set ? $" (set {set})" : "");

    // ---- lb stats ----

    private static readonly string[] ClassNames = ["1xx", "2xx", "3xx", "4xx", "5xx", "other"];

    private async Task<CommandResult> StatsAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var only = request.Has("pool") ? Pool(request).Name : null;
        if (!context.Registry.TryGet<Admin.Stats.AdminStatsActor>(out var stats))
            return CommandResult.Fail("lb stats: this node has no stats actor");
        var node = await stats.Ask<Admin.Stats.AdminStatsProtocol.NodeStats>(Admin.Stats.AdminStatsProtocol.GetLocalStats.Instance, AskTimeout, cancellationToken)
            .ConfigureAwait(false);

        var text = new List<string>();
        if (only is null)
        {
            var listeners = new TextTable(["listener", "mode", "req/s", "requests", .. ClassNames, "connections", "open", "bytes-in", "bytes-out"]);
            foreach (var l in node.Listeners)
            {
                var http = l.Mode == "http";
                listeners.Add([l.Name, l.Mode, Rate(l.RequestRate), http ? Num(l.Requests) : "-",
                    .. ClassNames.Select((_, c) => http && c < l.Responses.Count ? Num(l.Responses[c]) : "-"),
                    Num(l.Connections), Num(l.ActiveConnections), Num(l.BytesIn), Num(l.BytesOut)]);
            }
            text.AddRange(listeners.Lines());
        }
        foreach (var pool in node.Pools.Where(p => only is null || p.Name == only))
        {
            text.Add("");
            text.Add($"pool {pool.Name} | {pool.Balance}" + (pool.Panic ? " | panic" : "") + $" | queued {pool.QueueWaiting} | retries denied {Num(pool.RetriesDenied)}" +
                     (pool.Sticky ? $" | sessions {Num(pool.Sessions)}" : " | not sticky") + (pool.Reachable ? "" : " | (pool actor did not answer)"));
            var table = new TextTable(["backend", "health", "admin", "weight", "req/s", "requests", .. ClassNames, "active", "failures", "retries",
                "connections", "bytes-in", "bytes-out", "sessions", "latency-ms"]);
            foreach (var b in pool.Backends)
                table.Add([b.Id, b.Health, b.Admin, $"{b.Weight}/{b.ConfiguredWeight}" + (b.SetWeight is { } set ? $"(set={set})" : ""),
                    Rate(b.RequestRate), Num(b.Requests), .. ClassNames.Select((_, c) => c < b.Responses.Count ? Num(b.Responses[c]) : "-"),
                    Num(b.Active), Num(b.Failures), Num(b.Retries), Num(b.Connections), Num(b.BytesIn), Num(b.BytesOut), Num(b.Sessions),
                    b.LatencyMs > 0 ? b.LatencyMs.ToString("0.00", System.Globalization.CultureInfo.InvariantCulture) : "-"]);
            text.AddRange(table.Lines());
        }
        text.Add(only is null
            ? $"Count: {node.Listeners.Count} listeners, {node.Pools.Count} pools (this node; rates over the last second; HTTP bytes are bodies)"
            : "Count: 1 pool (this node; rates over the last second; HTTP bytes are bodies)");
        context.WriteLines(text);
        return CommandResult.Success;
    }

    private static string Num(long n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static string Rate(double r) => r.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);

    // ---- lb config ----

    private Task<CommandResult> ConfigAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        context.Write($"# the drover section this node runs (every key, defaults included; secrets shown as {Configuration.DroverConfigWriter.Hidden})\n");
        context.Write(Configuration.DroverConfigWriter.Write(RunningConfig));
        return Task.FromResult(CommandResult.Success);
    }

    /// <summary>A short duration for people: <c>29m48s</c>, <c>3.2s</c>, <c>120ms</c>.</summary>
    private static string Span(TimeSpan span)
    {
        if (span < TimeSpan.FromSeconds(1)) return $"{(long)span.TotalMilliseconds}ms";
        if (span < TimeSpan.FromMinutes(1)) return span.TotalSeconds.ToString("0.#", System.Globalization.CultureInfo.InvariantCulture) + "s";
        var text = "";
        if (span.Days > 0) text += $"{span.Days}d";
        if (span.Hours > 0) text += $"{span.Hours}h";
        if (span.Minutes > 0) text += $"{span.Minutes}m";
        if (span.Seconds > 0 && span.Days == 0) text += $"{span.Seconds}s";
        return text;
    }

    private PoolHandle Pool(CommandRequest request)
    {
        var name = request.Require("pool");
        return _runtime.Pools.TryGetValue(name, out var handle)
            ? handle
            : throw new CommandException($"lb: unknown pool '{name}' (pools: {string.Join(", ", _runtime.Pools.Keys.Order(StringComparer.Ordinal))})");
    }

    private static Task<PoolProtocol.PoolState> StateAsync(PoolHandle handle, CancellationToken cancellationToken) =>
        handle.Actor.Ask<PoolProtocol.PoolState>(PoolProtocol.GetState.Instance, AskTimeout, cancellationToken);
}
