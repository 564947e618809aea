using Drover.Core.Configuration;

namespace Drover.Node.Configuration;

/// <summary>Reads <c>drover.access-log { enabled = off, format = text | json, path = stdout | stderr | FILE }</c>.</summary>
internal static class AccessLogConfigReader
{
    private static readonly string[] Keys = ["enabled", "format", "path"];

    public static AccessLogConfig Read(HoconNode node)
    {
        if (!node.Exists) return AccessLogConfig.Default;
        if (!node.IsObject)
        {
            node.Error("must be an object { enabled = on, format = text | json, path = stdout }");
            return AccessLogConfig.Default;
        }
        node.RejectUnknownKeys(Keys);

        var enabled = node.Bool("enabled", true); // writing the block asks for the log
        var format = AccessLogFormat.Text;
        var formatText = node.String("format", "text")!.Trim();
        if (formatText.Equals("json", StringComparison.OrdinalIgnoreCase)) format = AccessLogFormat.Json;
        else if (!formatText.Equals("text", StringComparison.OrdinalIgnoreCase)) node.Error("format", $"unknown format '{formatText}' (expected text | json)");
        var path = node.String("path", "stdout")!.Trim();
        if (path.Length == 0) node.Error("path", "must be stdout, stderr or a file path");
        return new AccessLogConfig(enabled, format, path);
    }
}
