using System.Globalization;
using Akka.Configuration.Hocon;
using Drover.Core.Configuration;
using Drover.Core.Net;

namespace Drover.Node.Configuration;

/// <summary>
/// A HOCON value with its key path, for reading config into records. Every getter records a
/// <see cref="ConfigError"/> naming the path instead of throwing, so one run reports every problem.
/// </summary>
internal sealed class HoconNode(HoconValue? value, string path, List<ConfigError> errors)
{
    public string Path { get; } = path;
    public bool Exists => value is not null && !value.IsEmpty;
    public bool IsObject => Exists && value!.IsObject();

    /// <summary>The key is written, even as an empty object <c>{}</c> or list <c>[]</c> (which <see cref="Exists"/> treats as absent).</summary>
    public bool IsPresent => value is not null;

    /// <summary>An object, empty or not.</summary>
    public bool HasObjectValue => value is not null && value.IsObject();

    /// <summary>A list, empty or not.</summary>
    public bool HasListValue => value is not null && IsList(value);

    public void Error(string message) => errors.Add(new ConfigError(Path, message));
    public void Error(string key, string message) => errors.Add(new ConfigError($"{Path}.{key}", message));

    /// <summary>The object's keys in file order (an error if this is not an object).</summary>
    public IReadOnlyList<string> Keys()
    {
        if (!Exists) return [];
        if (!value!.IsObject())
        {
            Error("must be an object { ... }");
            return [];
        }
        return value.GetObject().Items.Keys.ToList();
    }

    public HoconNode Child(string key)
    {
        HoconValue? child = null;
        if (Exists && value!.IsObject()) value.GetObject().Items.TryGetValue(key, out child);
        var childPath = key.Contains('.') ? $"{Path}.\"{key}\"" : $"{Path}.{key}";
        return new HoconNode(child, childPath, errors);
    }

    /// <summary>Reports keys that this reader does not know: a typo must not be silently ignored.</summary>
    public void RejectUnknownKeys(params string[] known)
    {
        foreach (var key in Keys())
            if (Array.IndexOf(known, key) < 0)
                Error(key, $"unknown key (known keys here: {string.Join(", ", known)})");
    }

    public string? String(string key, string? fallback = null)
    {
        var child = Child(key);
        if (!child.Exists) return fallback;
        if (child.HasObjectValue || child.HasListValue)
        {
            child.Error("must be a single value, not an object or list");
            return fallback;
        }
        try
        {
            return value!.GetObject().Items[key].GetString();
        }
        catch (Exception ex)
        {
            child.Error($"not a string: {ex.Message}");
            return fallback;
        }
    }

    public string? RequiredString(string key)
    {
        var text = String(key);
        if (string.IsNullOrWhiteSpace(text))
        {
            if (text is null) Error(key, "is required");
            else Error(key, "must not be empty");
            return null;
        }
        return text.Trim();
    }

    public int Int(string key, int fallback, int min, int max)
    {
        var text = String(key);
        if (text is null) return fallback;
        if (!int.TryParse(text.Trim(), out var n) || n < min || n > max)
        {
            Error(key, $"'{text}' is not a whole number from {min} to {max}");
            return fallback;
        }
        return n;
    }

    /// <summary>Any whole number; the range is the validator's to check.</summary>
    public int Int(string key, int fallback)
    {
        var text = String(key);
        if (text is null) return fallback;
        if (!int.TryParse(text.Trim(), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n))
        {
            Error(key, $"'{text}' is not a whole number");
            return fallback;
        }
        return n;
    }

    /// <summary>
    /// A share from 0 to 1, written <c>50%</c> (0 to 100, decimals allowed) or as a plain fraction
    /// <c>0.5</c>. A plain number above 1 is an error rather than a guess that it meant percent.
    /// </summary>
    public double Fraction(string key, double fallback)
    {
        var text = String(key);
        if (text is null) return fallback;
        var trimmed = text.Trim();
        var percent = trimmed.EndsWith('%');
        var number = percent ? trimmed[..^1].TrimEnd() : trimmed;
        if (!IsDecimal(number))
        {
            Error(key, $"'{trimmed}' is not a percentage from 0% to 100% (write e.g. 50% or 0.5)");
            return fallback;
        }
        var n = double.Parse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture);
        if (percent && n > 100)
        {
            Error(key, $"'{trimmed}' is over 100%");
            return fallback;
        }
        if (!percent && n > 1)
        {
            Error(key, $"'{trimmed}' is above 1: a plain number is a fraction from 0 to 1 (write {trimmed}% for a percentage)");
            return fallback;
        }
        return percent ? n / 100 : n;
    }

    public bool Bool(string key, bool fallback)
    {
        var text = String(key);
        if (text is null) return fallback;
        switch (text.Trim().ToLowerInvariant())
        {
            case "on" or "true" or "yes":
                return true;
            case "off" or "false" or "no":
                return false;
            default:
                Error(key, $"'{text}' is not on or off");
                return fallback;
        }
    }

    public TimeSpan Duration(string key, TimeSpan fallback)
    {
        var child = Child(key);
        if (!child.Exists) return fallback;
        try
        {
            var span = Microseconds(String(key)) ?? value!.GetObject().Items[key].GetTimeSpan(allowInfinite: false);
            if (span < TimeSpan.Zero)
            {
                child.Error("must not be negative");
                return fallback;
            }
            return span;
        }
        catch (Exception)
        {
            var text = String(key);
            // Akka's parser throws on a sign rather than returning a negative span.
            if (text?.TrimStart().StartsWith('-') == true) child.Error("must not be negative");
            else child.Error($"'{text}' is not a duration (examples: 50us, 500ms, 5s, 2m, 1h)");
            return fallback;
        }
    }

    /// <summary>HOCON's microsecond units (us, micros, microseconds), which Akka's parser does not know.</summary>
    private static TimeSpan? Microseconds(string? text)
    {
        if (text is null) return null;
        var trimmed = text.Trim();
        foreach (var unit in MicrosecondUnits)
            if (trimmed.EndsWith(unit, StringComparison.Ordinal) &&
                long.TryParse(trimmed.AsSpan(0, trimmed.Length - unit.Length).Trim(), System.Globalization.NumberStyles.None,
                    System.Globalization.CultureInfo.InvariantCulture, out var micros))
                return TimeSpan.FromMicroseconds(micros);
        return null;
    }

    private static readonly string[] MicrosecondUnits = ["microseconds", "microsecond", "micros", "micro", "us", "\u00b5s"];

    /// <summary>A duration that must be greater than zero.</summary>
    public TimeSpan PositiveDuration(string key, TimeSpan fallback)
    {
        var span = Duration(key, fallback);
        if (span <= TimeSpan.Zero)
        {
            Error(key, "must be greater than zero");
            return fallback;
        }
        return span;
    }

    /// <summary>A required <c>host:port</c>.</summary>
    public HostPort? HostPort(string key, bool allowPortZero = false)
    {
        var text = RequiredString(key);
        if (text is null) return null;
        if (!Core.Net.HostPort.TryParse(text, out var hostPort, out var error, allowPortZero))
        {
            Error(key, error);
            return null;
        }
        return hostPort;
    }

    /// <summary>A list of objects (e.g. backends, routes); each element gets the path <c>key[i]</c>.</summary>
    public IReadOnlyList<HoconNode> ObjectList(string key)
    {
        var child = Child(key);
        if (!child.Exists) return [];
        var raw = value!.GetObject().Items[key];
        if (!IsList(raw))
        {
            child.Error("must be a list [ { ... }, ... ]");
            return [];
        }
        var result = new List<HoconNode>();
        if (IsEmptyList(raw)) return result;
        var items = raw.GetArray();
        for (var i = 0; i < items.Count; i++)
        {
            var node = new HoconNode(items[i], $"{child.Path}[{i}]", errors);
            if (!node.IsObject) node.Error("must be an object { ... }");
            else result.Add(node);
        }
        return result;
    }

    public IReadOnlyList<string> StringList(string key)
    {
        var child = Child(key);
        if (!child.IsPresent) return [];
        var raw = value!.GetObject().Items[key];
        if (!IsList(raw))
        {
            child.Error("must be a list [ ... ]");
            return [];
        }
        try
        {
            return raw.GetStringList().ToList();
        }
        catch (Exception ex)
        {
            child.Error($"must be a list of strings: {ex.Message}");
            return [];
        }
    }

    // Akka's IsArray() is false for an empty list "[]": it parses as an empty HoconArray, often
    // followed by a whitespace literal.
    private static bool IsList(HoconValue v) => v.IsArray() || IsEmptyList(v);

    private static bool IsEmptyList(HoconValue v) =>
        v.Values.Any(x => x is HoconArray) &&
        v.Values.All(x => x is HoconArray { Count: 0 } || (x is HoconLiteral l && string.IsNullOrWhiteSpace(l.Value)));

    // Digits with at most one decimal point: no sign, exponent, NaN or Infinity.
    private static bool IsDecimal(string text)
    {
        var digits = 0;
        var points = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c)) digits++;
            else if (c == '.') points++;
            else return false;
        }
        return digits > 0 && points <= 1;
    }
}
