using Akka.Actor;
using Akka.Cluster;
using Drover.Core.Net;

namespace Drover.Node.Commands.Palettes;

/// <summary>pbm's member line, <c>address | [roles] | status | unreachable-or-empty | app-version</c>, and address parsing.</summary>
internal static class MemberLines
{
    public static string Format(Member member, bool unreachable) =>
        $"{member.Address} | [{Roles(member)}] | {member.Status.ToString().ToLowerInvariant()} | {(unreachable ? "unreachable" : "")} | {member.AppVersion}";

    public static string Format(Member member, ClusterEvent.CurrentClusterState state) =>
        Format(member, state.Unreachable.Contains(member));

    public static string Roles(Member member) => string.Join(",", member.Roles.Order(StringComparer.Ordinal));

    /// <summary>pbm's count line; always "nodes", so scripts can match one shape.</summary>
    public static string Count(int members) => $"Count: {members} nodes";

    /// <summary>
    /// A member address as typed: <c>akka.tcp://drover@10.0.0.5:4053</c>, or <c>10.0.0.5:4053</c>
    /// with this node's protocol and system name.
    /// </summary>
    public static Address ParseAddress(string text, Address self)
    {
        text = text.Trim();
        var expected = $"expected {self.Protocol}://{self.System}@HOST:PORT or HOST:PORT";
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (Address.TryParse(text, out var address) && address.Host is not null && address.Port is not null) return address;
            throw new CommandException($"'{text}' is not a member address ({expected})");
        }
        if (!HostPort.TryParse(text, out var hostPort, out _))
            throw new CommandException($"'{text}' is not a member address ({expected})");
        return new Address(self.Protocol, self.System, hostPort.Value.Host, hostPort.Value.Port);
    }

    /// <summary>The member with this address, or a clear error listing the members.</summary>
    public static Member RequireMember(Cluster cluster, Address address)
    {
        foreach (var member in cluster.State.Members)
            if (member.Address.Equals(address)) return member;
        var members = string.Join(", ", cluster.State.Members.Select(m => m.Address.ToString()));
        throw new CommandException($"{address} is not a member of this cluster (members: {(members.Length == 0 ? "none" : members)})");
    }
}
