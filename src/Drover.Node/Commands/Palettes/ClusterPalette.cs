using Akka.Actor;
using Akka.Cluster;
using Drover.Core.Commands;

namespace Drover.Node.Commands.Palettes;

/// <summary>pbm's <c>cluster</c> palette: membership, leader, leave, down, join, and a live event tail.</summary>
public sealed class ClusterPalette : CommandPalette
{
    private static ArgumentSpec Address(bool required, string description) =>
        new("address", "a", description, required);

    public ClusterPalette() : base("cluster", "Akka.NET cluster membership")
    {
        Add(new CommandSpec("show", "every member: address | [roles] | status | unreachable | app version"), Show);
        Add(new CommandSpec("status", "this node's own member line"), Status);
        Add(new CommandSpec("leader", "the leader's address"), Leader);
        Add(new CommandSpec("leave", "a member leaves the cluster gracefully (default: this node)",
            Address(false, "the member that leaves: akka.tcp://drover@HOST:PORT or HOST:PORT")), Leave);
        Add(new CommandSpec("down", "marks a member down: it is removed without a graceful handover",
            Address(true, "the member to down: akka.tcp://drover@HOST:PORT or HOST:PORT")), Down);
        Add(new CommandSpec("join", "this node joins the cluster of the node at ADDRESS (only a node not yet in a cluster)",
            Address(true, "a member of the cluster to join: akka.tcp://drover@HOST:PORT or HOST:PORT")), Join);
        Add(new CommandSpec("down-unreachable", "marks every unreachable member down"), DownUnreachable);
        Add(new CommandSpec("tail", "membership, reachability and leader events as they happen, until Ctrl+C", [], Streaming: true), Tail);
    }

    private static Task<CommandResult> Show(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var state = Cluster.Get(context.System).State;
        var lines = state.Members.Select(m => MemberLines.Format(m, state)).ToList();
        lines.Add(MemberLines.Count(state.Members.Count));
        context.WriteLines(lines);
        return Task.FromResult(CommandResult.Success);
    }

    private static Task<CommandResult> Status(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        context.WriteLine(MemberLines.Format(cluster.SelfMember, cluster.State));
        return Task.FromResult(CommandResult.Success);
    }

    private static Task<CommandResult> Leader(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var leader = Cluster.Get(context.System).State.Leader;
        if (leader is null) return Task.FromResult(CommandResult.Fail("there is no leader (no member is up, or the cluster has not converged)"));
        context.WriteLine(leader.ToString());
        return Task.FromResult(CommandResult.Success);
    }

    private static Task<CommandResult> Leave(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        var address = request.Get("address") is { } text ? MemberLines.ParseAddress(text, cluster.SelfAddress) : cluster.SelfAddress;
        MemberLines.RequireMember(cluster, address);
        cluster.Leave(address);
        context.WriteLine($"{address} is leaving the cluster");
        return Task.FromResult(CommandResult.Success);
    }

    private static Task<CommandResult> Down(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        var address = MemberLines.ParseAddress(request.Require("address"), cluster.SelfAddress);
        MemberLines.RequireMember(cluster, address);
        cluster.Down(address);
        context.WriteLine($"{address} is marked down");
        return Task.FromResult(CommandResult.Success);
    }

    private static Task<CommandResult> Join(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        var address = MemberLines.ParseAddress(request.Require("address"), cluster.SelfAddress);
        // Akka ignores a join from a node that is already a member; say so instead of pretending.
        if (cluster.SelfMember.Status is MemberStatus.Joining or MemberStatus.Up or MemberStatus.WeaklyUp)
        {
            var member = cluster.State.Members.Any(m => m.Address.Equals(address));
            return Task.FromResult(CommandResult.Fail(member
                ? $"this node is already in the same cluster as {address}"
                : $"this node is already a member ({cluster.SelfMember.Status.ToString().ToLowerInvariant()}) of another cluster; it must leave before it can join {address}"));
        }
        cluster.Join(address);
        context.WriteLine($"joining {address}");
        return Task.FromResult(CommandResult.Success);
    }

    private static Task<CommandResult> DownUnreachable(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        var unreachable = cluster.State.Unreachable.OrderBy(m => m.Address, Member.AddressOrdering).ToList();
        if (unreachable.Count == 0)
        {
            context.WriteLine("no unreachable members");
            return Task.FromResult(CommandResult.Success);
        }
        foreach (var member in unreachable) cluster.Down(member.Address);
        context.WriteLines(unreachable.Select(m => $"{m.Address} is marked down").Append($"Count: {unreachable.Count} nodes"));
        return Task.FromResult(CommandResult.Success);
    }

    private static async Task<CommandResult> Tail(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var tail = context.System.ActorOf(ClusterTailActor.Props(context.Write));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
            return CommandResult.Success;
        }
        finally
        {
            context.System.Stop(tail);
        }
    }
}
