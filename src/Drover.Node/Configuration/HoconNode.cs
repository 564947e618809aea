using Akka.Configuration.Hocon;
using Drover.Core.Configuration;

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
        if (child.IsObject || value!.GetObject().Items[key].IsArray())
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
            var span = value!.GetObject().Items[key].GetTimeSpan(allowInfinite: false);
            if (span < TimeSpan.Zero)
            {
                child.Error("must not be negative");
                return fallback;
            }
            return span;
        }
        catch (Exception)
        {
            child.Error($"'{String(key)}' is not a duration (examples: 500ms, 5s, 2m, 1h)");
            return fallback;
        }
    }

    /// <summary>A list of objects (e.g. backends, routes); each element gets the path <c>key[i]</c>.</summary>
    public IReadOnlyList<HoconNode> ObjectList(string key)
    {
        var child = Child(key);
        if (!child.Exists) return [];
        var raw = value!.GetObject().Items[key];
        if (!raw.IsArray())
        {
            child.Error("must be a list [ { ... }, ... ]");
            return [];
        }
        var result = new List<HoconNode>();
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
        if (!child.Exists) return [];
        var raw = value!.GetObject().Items[key];
        if (!raw.IsArray())
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
}
