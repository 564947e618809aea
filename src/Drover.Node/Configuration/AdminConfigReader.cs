using Drover.Core.Configuration;
using Drover.Core.Net;

namespace Drover.Node.Configuration;

/// <summary>Reads <c>drover.admin { enabled, bind }</c>.</summary>
internal static class AdminConfigReader
{
    private static readonly string[] Keys = ["enabled", "bind"];

    public static AdminConfig Read(HoconNode node)
    {
        if (!node.Exists) return AdminConfig.Default;
        if (!node.IsObject)
        {
            node.Error("must be an object { enabled = on, bind = \"127.0.0.1:9901\" }");
            return AdminConfig.Default;
        }
        node.RejectUnknownKeys(Keys);

        var enabled = node.Bool("enabled", true);
        var bind = AdminConfig.Default.Bind;
        if (node.String("bind") is { } text)
        {
            if (!HostPort.TryParse(text, out var parsed, out var error, allowPortZero: true))
                node.Error("bind", error);
            else if (!parsed.Value.IsAnyAddress && !parsed.Value.IsIpLiteral && !parsed.Value.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
                node.Error("bind", $"'{parsed.Value.Host}' must be an IP address, localhost or * (the endpoint binds to a local address)");
            else bind = parsed.Value;
        }
        return new AdminConfig(enabled, bind);
    }
}
