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
            $"{b.Id} | {b.Address} | {b.Health} | {b.Admin}{(b.Drained ? " (drained)" : "")} | weight {b.Weight}/{b.ConfiguredWeight} | " +
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
