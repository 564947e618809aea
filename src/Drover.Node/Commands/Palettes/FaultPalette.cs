using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;
using Akka.Remote.Transport;
using Drover.Core.Commands;

namespace Drover.Node.Commands.Palettes;

/// <summary>
/// The <c>fault</c> palette, for failover drills without root: black-holes the remoting link between
/// this node and another member through Akka's throttler transport, and heals it. Registered only
/// when <c>drover.cmd.fault-injection = on</c> (which requires
/// <c>akka.remote.dot-netty.tcp.applied-adapters = [trttl]</c>). A black hole set on this side drops
/// traffic both ways, so one command cuts the link for both ends. Listeners and backends are not
/// affected: only Drover-to-Drover traffic.
/// </summary>
public sealed class FaultPalette : CommandPalette
{
    /// <summary>Addresses this node has black-holed (host:port keys, as the throttler compares them).</summary>
    private readonly ConcurrentDictionary<string, Address> _blackholed = new(StringComparer.Ordinal);

    public FaultPalette() : base("fault", "failure injection for drills (drover.cmd.fault-injection): cut and heal links to other members")
    {
        var address = new ArgumentSpec("address", "a", "the other member: akka.trttl.tcp://drover@HOST:PORT or HOST:PORT", Required: true);
        Add(new CommandSpec("blackhole", "drop all remoting traffic between this node and ADDRESS, both ways", address), Blackhole);
        Add(new CommandSpec("isolate", "black-hole every other member: this node is cut off from the cluster"), Isolate);
        Add(new CommandSpec("heal", "restore the link to ADDRESS (default: every link this node black-holed)",
            address with { Required = false }), Heal);
        Add(new CommandSpec("show", "the links this node has black-holed"), Show);
    }

    private async Task<CommandResult> Blackhole(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        var address = OtherMember(cluster, request.Require("address"));
        await ThrottleAsync(context.System, address, Akka.Remote.Transport.Blackhole.Instance).ConfigureAwait(false);
        _blackholed[Key(address)] = address;
        context.WriteLine($"{address}: black-holed (both ways) from {cluster.SelfAddress}");
        return CommandResult.Success;
    }

    private async Task<CommandResult> Isolate(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var cluster = Cluster.Get(context.System);
        var others = cluster.State.Members.Select(m => m.Address).Where(a => !a.Equals(cluster.SelfAddress))
            .OrderBy(a => a, Member.AddressOrdering).ToList();
        if (others.Count == 0) return CommandResult.Fail("fault isolate: this node is the only member; there is nothing to cut it off from");
        foreach (var address in others)
        {
            await ThrottleAsync(context.System, address, Akka.Remote.Transport.Blackhole.Instance).ConfigureAwait(false);
            _blackholed[Key(address)] = address;
        }
        context.WriteLines(others.Select(a => $"{a}: black-holed (both ways) from {cluster.SelfAddress}").Append($"Count: {others.Count} links"));
        return CommandResult.Success;
    }

    private async Task<CommandResult> Heal(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var self = Cluster.Get(context.System).SelfAddress;
        List<Address> targets;
        if (request.Get("address") is { } text)
        {
            // Not necessarily a member any more (it may have been downed while cut off), so no membership check.
            var address = MemberLines.ParseAddress(text, self);
            targets = [address];
        }
        else targets = _blackholed.Values.OrderBy(a => a, Member.AddressOrdering).ToList();

        if (targets.Count == 0)
        {
            context.WriteLine("no black-holed links");
            return CommandResult.Success;
        }
        foreach (var address in targets)
        {
            await ThrottleAsync(context.System, address, Unthrottled.Instance).ConfigureAwait(false);
            _blackholed.TryRemove(Key(address), out _);
        }
        context.WriteLines(targets.Select(a => $"{a}: healed"));
        return CommandResult.Success;
    }

    private Task<CommandResult> Show(CommandRequest request, CommandContext context, CancellationToken cancellationToken)
    {
        var lines = _blackholed.Values.OrderBy(a => a, Member.AddressOrdering).Select(a => $"{a} | black-holed").ToList();
        lines.Add($"Count: {lines.Count} links");
        context.WriteLines(lines);
        return Task.FromResult(CommandResult.Success);
    }

    private static Address OtherMember(Cluster cluster, string text)
    {
        var address = MemberLines.ParseAddress(text, cluster.SelfAddress);
        if (address.Equals(cluster.SelfAddress))
            throw new CommandException($"{address} is this node; black-hole the links to the others instead (fault isolate)");
        MemberLines.RequireMember(cluster, address);
        return address;
    }

    private static async Task ThrottleAsync(ActorSystem system, Address address, ThrottleMode mode)
    {
        var transport = ((RemoteActorRefProvider)((ExtendedActorSystem)system).Provider).Transport;
        var applied = await transport.ManagementCommand(new SetThrottle(address, ThrottleTransportAdapter.Direction.Both, mode)).ConfigureAwait(false);
        // Remoting answers false when no transport took the command: the throttler adapter is not applied.
        if (!applied)
            throw new CommandException("the throttler transport is not in use on this node: set akka.remote.dot-netty.tcp.applied-adapters = [trttl] on every node");
    }

    // The throttler matches links by host and port only (it strips protocol and system).
    private static string Key(Address address) => $"{address.Host}:{address.Port}";
}
