using System.Text.Json.Serialization;

namespace Drover.Core.Commands;

/// <summary>
/// One argument of a command, written <c>-s VALUE</c> or <c>--name VALUE</c> (also <c>--name=VALUE</c>).
/// <paramref name="Name"/> is the long name and the key the value travels under on the wire.
/// </summary>
public sealed record ArgumentSpec(string Name, string? Short, string Description, bool Required = false, ArgumentKind Kind = ArgumentKind.Text)
{
    /// <summary>The placeholder shown in usage lines: ADDRESS for address, none for a flag.</summary>
    [JsonIgnore]
    public string Placeholder => Kind == ArgumentKind.Flag ? "" : Name.ToUpperInvariant().Replace('-', '_');

    /// <summary><c>-a/--address</c>, or <c>--address</c> when there is no short name.</summary>
    [JsonIgnore]
    public string Switches => Short is null ? $"--{Name}" : $"-{Short}/--{Name}";

    /// <summary>How the argument appears in a usage line: <c>-a ADDRESS</c>, <c>[-d DEPTH]</c>.</summary>
    [JsonIgnore]
    public string Usage
    {
        get
        {
            var text = (Short is null ? $"--{Name}" : $"-{Short}") + (Kind == ArgumentKind.Flag ? "" : " " + Placeholder);
            return Required ? text : $"[{text}]";
        }
    }
}
