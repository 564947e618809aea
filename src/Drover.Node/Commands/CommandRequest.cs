using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>A command to run, with its arguments by long name (already checked against the command's spec).</summary>
public sealed record CommandRequest(string Palette, string Command, IReadOnlyDictionary<string, string> Arguments)
{
    /// <summary>The argument's value, or null when it was not given.</summary>
    public string? Get(string name) => Arguments.TryGetValue(name, out var value) ? value : null;

    /// <summary>A required argument's value (the host has checked that it is there).</summary>
    public string Require(string name) => Get(name) ?? throw new CommandException($"{Palette} {Command}: missing --{name}");

    public int GetNumber(string name, int fallback) =>
        Get(name) is { } text && CommandArguments.TryNumber(text, out var value) ? value : fallback;

    public bool Has(string name) => Arguments.ContainsKey(name);
}
