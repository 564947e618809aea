using System.Net;
using Drover.Core.Net;

namespace Drover.Core.Configuration;

/// <summary>
/// The command host (<c>drover.cmd</c>): where the <c>drover</c> CLI connects, and the token it must
/// present. Bound to anything but loopback, a token is required (checked when the config is read).
/// </summary>
public sealed record CmdConfig(bool Enabled, HostPort Bind, string Token)
{
    public const int DefaultPort = 9110;

    /// <summary>
    /// <c>drover.cmd.fault-injection</c>: registers the <c>fault</c> palette (black-hole links to
    /// other members) for failover drills. Off by default; never for production.
    /// </summary>
    public bool FaultInjection { get; init; }

    public static readonly CmdConfig Default = new(true, new HostPort("127.0.0.1", DefaultPort), "");

    /// <summary>True when only this machine can connect: 127.0.0.0/8, ::1 or localhost.</summary>
    public bool IsLoopback =>
        Bind.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase) ||
        IPAddress.TryParse(Bind.Host, out var ip) && IPAddress.IsLoopback(ip);

    public bool RequiresToken => Token.Length > 0;
}
