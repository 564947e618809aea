using Drover.Core.Configuration;
using Drover.Core.Net;

namespace Drover.Node.Configuration;

/// <summary>
/// Reads <c>drover.cmd { enabled, bind, token, fault-injection }</c>. A host bound to anything but loopback without a
/// token is a config error: anyone who can reach the port could otherwise down the cluster.
/// </summary>
internal static class CmdConfigReader
{
    private static readonly string[] Keys = ["enabled", "bind", "token", "fault-injection"];

    public static CmdConfig Read(HoconNode node)
    {
        if (!node.Exists) return CmdConfig.Default;
        if (!node.IsObject)
        {
            node.Error("must be an object { bind = \"127.0.0.1:9110\", token = \"\" }");
            return CmdConfig.Default;
        }
        node.RejectUnknownKeys(Keys);

        var enabled = node.Bool("enabled", true);
        var bind = CmdConfig.Default.Bind;
        if (node.String("bind") is { } text)
        {
            if (!HostPort.TryParse(text, out var parsed, out var error, allowPortZero: true))
                node.Error("bind", error);
            else if (!parsed.Value.IsAnyAddress && !parsed.Value.IsIpLiteral && !parsed.Value.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                node.Error("bind", $"'{parsed.Value.Host}' must be an IP address, localhost or * (the host binds to a local address)");
            else bind = parsed.Value;
        }

        // Akka's HOCON reads a blank string as absent, so "   " is no token, like "".
        var token = node.String("token", "")!;

        var config = new CmdConfig(enabled, bind, token) { FaultInjection = node.Bool("fault-injection", false) };
        if (enabled && !config.IsLoopback && !config.RequiresToken)
            node.Error("token", $"is required when drover.cmd.bind ({bind}) is not a loopback address: every client must present it");
        return config;
    }
}
