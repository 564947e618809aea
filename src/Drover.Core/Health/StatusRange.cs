using System.Globalization;

namespace Drover.Core.Health;

/// <summary>An inclusive range of HTTP status codes, e.g. <c>200-399</c> or a single <c>200</c>.</summary>
public readonly record struct StatusRange(int Min, int Max)
{
    public const int Lowest = 100;
    public const int Highest = 599;

    public static readonly StatusRange Success = new(200, 399);

    public bool Contains(int status) => status >= Min && status <= Max;

    public override string ToString() => Min == Max
        ? Min.ToString(CultureInfo.InvariantCulture)
        : $"{Min.ToString(CultureInfo.InvariantCulture)}-{Max.ToString(CultureInfo.InvariantCulture)}";

    /// <summary>Parses <c>"200-399"</c> or <c>"200"</c>; whitespace around the numbers and the dash is ignored.</summary>
    public static bool TryParse(string? text, out StatusRange range, out string error)
    {
        range = Success;
        error = "";
        var trimmed = text?.Trim() ?? "";
        if (trimmed.Length == 0)
        {
            error = "the status range is empty (expected e.g. 200 or 200-399)";
            return false;
        }

        var dash = trimmed.IndexOf('-');
        var minText = dash < 0 ? trimmed : trimmed[..dash].Trim();
        var maxText = dash < 0 ? trimmed : trimmed[(dash + 1)..].Trim();
        if (!TryParseStatus(minText, out var min) || !TryParseStatus(maxText, out var max))
        {
            error = $"'{trimmed}' is not a status code or range (expected e.g. 200 or 200-399)";
            return false;
        }
        if (min < Lowest || max > Highest || max < Lowest || min > Highest)
        {
            error = $"'{trimmed}': status codes must be within {Lowest}-{Highest}";
            return false;
        }
        if (min > max)
        {
            error = $"'{trimmed}': the first status is greater than the second";
            return false;
        }
        range = new StatusRange(min, max);
        return true;
    }

    // Digits only: no sign, no thousands separators, at most 4 digits so nothing overflows.
    private static bool TryParseStatus(string text, out int status)
    {
        status = 0;
        if (text.Length is 0 or > 4) return false;
        foreach (var c in text)
        {
            if (!char.IsAsciiDigit(c)) return false;
            status = status * 10 + (c - '0');
        }
        return true;
    }
}
