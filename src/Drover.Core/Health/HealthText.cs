using System.Globalization;
using System.Text;

namespace Drover.Core.Health;

/// <summary>Compact, culture-free text for reasons and errors: <c>10s</c>, <c>1m30s</c>, <c>250ms</c>, <c>62%</c>.</summary>
internal static class HealthText
{
    public static string Duration(TimeSpan span)
    {
        if (span <= TimeSpan.Zero) return "0s";
        var sb = new StringBuilder();
        if (span.Days > 0) sb.Append(span.Days).Append('d');
        if (span.Hours > 0) sb.Append(span.Hours).Append('h');
        if (span.Minutes > 0) sb.Append(span.Minutes).Append('m');
        if (span.Seconds > 0) sb.Append(span.Seconds).Append('s');
        if (span.Milliseconds > 0) sb.Append(span.Milliseconds).Append("ms");
        return sb.Length == 0 ? "0s" : sb.ToString();
    }

    /// <summary>A 0..1 fraction as a whole percentage, e.g. 0.62 as "62%".</summary>
    public static string Percent(double fraction) =>
        Math.Round(fraction * 100, MidpointRounding.AwayFromZero).ToString("0", CultureInfo.InvariantCulture) + "%";

    /// <summary>"1 failed check", "3 consecutive failed checks".</summary>
    public static string Count(long n, string one, string many) =>
        n == 1 ? $"1 {one}" : $"{n.ToString(CultureInfo.InvariantCulture)} {many}";
}
