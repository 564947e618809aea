using System.Text.Json.Serialization;

namespace Drover.Core.Commands;

/// <summary>
/// One command of a palette as the client sees it. A streaming command (<c>cluster tail</c>) runs
/// until the client cancels it; the others answer and end.
/// </summary>
[method: JsonConstructor]
public sealed record CommandSpec(string Name, string Description, IReadOnlyList<ArgumentSpec> Arguments, bool Streaming = false)
{
    public CommandSpec(string name, string description, params ArgumentSpec[] arguments)
        : this(name, description, (IReadOnlyList<ArgumentSpec>)arguments) { }

    public ArgumentSpec? FindArgument(string name)
    {
        foreach (var argument in Arguments)
            if (argument.Name == name) return argument;
        return null;
    }

    /// <summary><c>down -a ADDRESS</c>, <c>hierarchy [-d DEPTH] [-s PATH]</c>.</summary>
    [JsonIgnore]
    public string Usage => Arguments.Count == 0 ? Name : $"{Name} {string.Join(" ", Arguments.Select(a => a.Usage))}";
}
