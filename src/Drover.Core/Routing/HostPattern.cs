namespace Drover.Core.Routing;

/// <summary>
/// A host or server-name pattern: <c>*</c> (any), an exact name, or <c>*.suffix</c> (any name that
/// ends in <c>.suffix</c>, at any depth, but not <c>suffix</c> itself). Matching ignores case.
/// </summary>
public readonly struct HostPattern
{
    private readonly string _value; // exact name, or ".suffix" for wildcards

    private HostPattern(HostPatternKind kind, string value)
    {
        Kind = kind;
        _value = value;
    }

    public HostPatternKind Kind { get; }

    public string Text => Kind switch
    {
        HostPatternKind.Any => "*",
        HostPatternKind.Suffix => "*" + _value,
        _ => _value,
    };

    /// <summary>The dot-prefixed suffix of a wildcard (".example.org"); its length ranks wildcards.</summary>
    public string Suffix => Kind == HostPatternKind.Suffix ? _value : "";

    public static bool TryParse(string? text, out HostPattern pattern, out string error)
    {
        pattern = default;
        error = "";
        text = text?.Trim().TrimEnd('.').ToLowerInvariant() ?? "";
        if (text == "*")
        {
            pattern = new HostPattern(HostPatternKind.Any, "");
            return true;
        }
        var exact = text;
        if (text.StartsWith("*.", StringComparison.Ordinal)) exact = text[2..];
        if (!Net.HostPort.IsValidHostName(exact))
        {
            error = $"'{text}' is not *, a host name, or *.suffix";
            return false;
        }
        pattern = exact.Length == text.Length
            ? new HostPattern(HostPatternKind.Exact, exact)
            : new HostPattern(HostPatternKind.Suffix, text[1..]);
        return true;
    }

    public bool Matches(ReadOnlySpan<char> host) => Kind switch
    {
        HostPatternKind.Any => true,
        HostPatternKind.Exact => host.Equals(_value, StringComparison.OrdinalIgnoreCase),
        _ => host.Length > _value.Length && host.EndsWith(_value, StringComparison.OrdinalIgnoreCase),
    };

    public override string ToString() => Text;
}

public enum HostPatternKind
{
    Any,
    Exact,
    Suffix,
}
