using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Drover.Core.Commands;

namespace Drover.Node.Commands.Palettes;

/// <summary>
/// pbm's <c>cluster-sharding</c> palette: the entity types this node knows, per-node and per-shard
/// counts (from the shard coordinator, so cluster-wide), and where one entity lives.
/// </summary>
public sealed class ClusterShardingPalette : CommandPalette
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan AskSlack = TimeSpan.FromSeconds(2);
    private static readonly ArgumentSpec Type = new("type", "r", "the sharded entity type (region name), e.g. session", Required: true);

    public ClusterShardingPalette() : base("cluster-sharding", "Akka.NET cluster sharding: regions, shards, entities")
    {
        Add(new CommandSpec("regions", "the sharded entity types this node knows, with its own shard and entity counts"), Regions);
        Add(new CommandSpec("region-stats", "shards and entities per member for one type; the coordinator's node is marked", Type), RegionStats);
        Add(new CommandSpec("shard-stats", "every shard of one type: where it lives and how many entities it has", Type), ShardStats);
        Add(new CommandSpec("query", "where one entity lives: its shard, node and actor",
            Type, new ArgumentSpec("entity", "e", "the entity id", Required: true)), Query);
    }

    private static async Task<CommandResult> Regions(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var sharding = ClusterSharding.Get(context.System);
        var types = sharding.ShardTypeNames.Order(StringComparer.Ordinal).ToList();
        if (types.Count == 0)
        {
            context.WriteLine("no sharded entity types on this node");
            return CommandResult.Success;
        }
        var states = await Task.WhenAll(types.Select(async type =>
        {
            try
            {
                var state = await sharding.ShardRegion(type).Ask<CurrentShardRegionState>(GetShardRegionState.Instance, QueryTimeout, cancellationToken).ConfigureAwait(false);
                return $"{type} | shards here: {state.Shards.Count} | entities here: {state.Shards.Sum(s => s.EntityIds.Count)}";
            }
            catch (AskTimeoutException)
            {
                return $"{type} | no answer from its region";
            }
        })).ConfigureAwait(false);
        context.WriteLines(states.Append($"Count: {types.Count} types"));
        return CommandResult.Success;
    }

    private static async Task<CommandResult> RegionStats(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var type = request.Require("type");
        var region = Region(context.System, type);
        var cluster = Cluster.Get(context.System);
        var statsTask = region.Ask<ClusterShardingStats>(new GetClusterShardingStats(QueryTimeout), QueryTimeout + AskSlack, cancellationToken);
        var coordinatorTask = FindCoordinatorAsync(context.System, type, cluster.State.Members, cancellationToken);
        var stats = await statsTask.ConfigureAwait(false);
        var coordinator = await coordinatorTask.ConfigureAwait(false);
        var regions = ByMemberAddress(stats, coordinator ?? cluster.SelfAddress);

        var state = cluster.State;
        var lines = new List<string>();
        foreach (var member in state.Members)
        {
            var line = MemberLines.Format(member, state);
            if (member.Address.Equals(coordinator)) line += $" [coordinator]({type})";
            if (regions.TryGetValue(member.Address, out var s))
            {
                line += $" | shards: {s.Stats.Count} | entities: {s.Stats.Values.Sum()}";
                if (s.Failed.Count > 0) line += $" | no answer from {s.Failed.Count} shards";
            }
            else line += " | no region";
            lines.Add(line);
        }
        lines.Add($"Total: {regions.Values.Sum(s => s.Stats.Count)} shards, {regions.Values.Sum(s => s.Stats.Values.Sum())} entities");
        context.WriteLines(lines);
        return CommandResult.Success;
    }

    private static async Task<CommandResult> ShardStats(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var type = request.Require("type");
        var region = Region(context.System, type);
        var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(QueryTimeout), QueryTimeout + AskSlack, cancellationToken).ConfigureAwait(false);
        var regions = ByMemberAddress(stats, Cluster.Get(context.System).SelfAddress);
        var shards = regions
            .SelectMany(r => r.Value.Stats.Select(s => (Shard: s.Key, Node: r.Key, Entities: s.Value)))
            .OrderBy(s => s.Shard, ShardIdOrder.Instance)
            .Select(s => $"shard {s.Shard} | {s.Node} | entities: {s.Entities}")
            .ToList();
        shards.Add($"Count: {shards.Count} shards");
        context.WriteLines(shards);
        return CommandResult.Success;
    }

    private static async Task<CommandResult> Query(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var type = request.Require("type");
        var entity = request.Require("entity");
        var region = Region(context.System, type);
        var location = await region.Ask<EntityLocation>(new GetEntityLocation(entity, QueryTimeout), QueryTimeout + AskSlack, cancellationToken).ConfigureAwait(false);
        if (!IsKnown(location))
        {
            // This node's region learns a shard's home only when it sends it something; the region
            // that hosts the shard always knows. Ask every member's region.
            var members = Cluster.Get(context.System).State.Members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving);
            var answers = await Task.WhenAll(members.Select(async m =>
            {
                try
                {
                    return await context.System.ActorSelection($"{m.Address}/system/sharding/{Uri.EscapeDataString(type)}")
                        .Ask<EntityLocation>(new GetEntityLocation(entity, QueryTimeout), QueryTimeout + AskSlack, cancellationToken).ConfigureAwait(false);
                }
                catch (AskTimeoutException)
                {
                    return null;
                }
            })).ConfigureAwait(false);
            location = answers.FirstOrDefault(a => a is not null && IsKnown(a)) ?? location;
        }
        var node = IsKnown(location) ? location.ShardRegion.ToString() : "(shard not allocated)";
        var actor = location.EntityRef.HasValue ? location.EntityRef.Value.Path.ToStringWithoutAddress() : "(not running)";
        context.WriteLine($"entity: {location.EntityId} | shard: {location.ShardId} | node: {node} | actor: {actor}");
        return CommandResult.Success;
    }

    /// <summary>A region that does not know where the shard lives answers with <see cref="Address.AllSystems"/>.</summary>
    private static bool IsKnown(EntityLocation location) => location.ShardRegion is { HasGlobalScope: true };

    private static IActorRef Region(ActorSystem system, string type)
    {
        var sharding = ClusterSharding.Get(system);
        if (!sharding.ShardTypeNames.Contains(type))
        {
            var known = sharding.ShardTypeNames.Order(StringComparer.Ordinal).ToArray();
            var hint = Suggestions.Closest(type, known) is { } s ? $"did you mean '{s}'? " : "";
            throw new CommandException($"unknown entity type '{type}' ({hint}types on this node: {(known.Length == 0 ? "none" : string.Join(", ", known))})");
        }
        return sharding.ShardRegion(type);
    }

    /// <summary>The coordinator reports the region on its own node with a local address; give it the node's.</summary>
    private static Dictionary<Address, ShardRegionStats> ByMemberAddress(ClusterShardingStats stats, Address localScopeMeans)
    {
        var result = new Dictionary<Address, ShardRegionStats>();
        foreach (var (address, region) in stats.Regions)
            result[address.HasLocalScope ? localScopeMeans : address] = region;
        return result;
    }

    /// <summary>
    /// The member whose shard coordinator singleton is running: the one that answers an Identify at
    /// <c>/system/sharding/TYPECoordinator/singleton</c>. Null when none answers in time.
    /// </summary>
    private static async Task<Address?> FindCoordinatorAsync(ActorSystem system, string type, IEnumerable<Member> members, CancellationToken cancellationToken)
    {
        var path = $"/system/sharding/{Uri.EscapeDataString(type)}Coordinator/singleton";
        var probes = members.Where(m => m.Status is MemberStatus.Up or MemberStatus.Leaving or MemberStatus.Exiting).Select(async m =>
        {
            try
            {
                var identity = await system.ActorSelection($"{m.Address}{path}")
                    .Ask<ActorIdentity>(new Identify(null), TimeSpan.FromSeconds(2), cancellationToken).ConfigureAwait(false);
                return identity.Subject is null ? null : m.Address;
            }
            catch (AskTimeoutException)
            {
                return null;
            }
        });
        return (await Task.WhenAll(probes).ConfigureAwait(false)).FirstOrDefault(a => a is not null);
    }

    /// <summary>Numeric shard ids in numeric order, others after them in text order.</summary>
    private sealed class ShardIdOrder : IComparer<string>
    {
        public static readonly ShardIdOrder Instance = new();

        public int Compare(string? x, string? y)
        {
            var xn = int.TryParse(x, out var a);
            var yn = int.TryParse(y, out var b);
            if (xn && yn) return a.CompareTo(b);
            if (xn != yn) return xn ? -1 : 1;
            return string.CompareOrdinal(x, y);
        }
    }
}
