namespace Drover.Core.Commands;

/// <summary>A named group of commands (<c>cluster</c>, <c>log</c>, ...) as the host advertises it to clients.</summary>
public sealed record PaletteSpec(string Name, string Description, IReadOnlyList<CommandSpec> Commands)
{
    public CommandSpec? FindCommand(string name)
    {
        foreach (var command in Commands)
            if (command.Name == name) return command;
        return null;
    }

    /// <summary>
    /// The problems with this palette's names (empty when it is well formed): lower-case names of
    /// letters, digits and '-', no duplicate commands, argument names or short switches.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (!IsName(Name)) problems.Add($"palette name '{Name}' must be lower-case letters, digits and '-'");
        var commands = new HashSet<string>();
        foreach (var command in Commands)
        {
            if (!IsName(command.Name)) problems.Add($"{Name}: command name '{command.Name}' must be lower-case letters, digits and '-'");
            if (!commands.Add(command.Name)) problems.Add($"{Name}: command '{command.Name}' is defined twice");
            var names = new HashSet<string>();
            var shorts = new HashSet<string>();
            foreach (var argument in command.Arguments)
            {
                if (!IsName(argument.Name)) problems.Add($"{Name} {command.Name}: argument name '{argument.Name}' must be lower-case letters, digits and '-'");
                if (!names.Add(argument.Name)) problems.Add($"{Name} {command.Name}: argument '--{argument.Name}' is defined twice");
                if (argument.Short is { } s && (s.Length != 1 || !char.IsAsciiLetter(s[0]) || !shorts.Add(s)))
                    problems.Add($"{Name} {command.Name}: short switch '-{s}' must be one letter, used once");
                if (argument.Kind == ArgumentKind.Flag && argument.Required)
                    problems.Add($"{Name} {command.Name}: flag '--{argument.Name}' cannot be required");
            }
        }
        return problems;
    }

    private static bool IsName(string name) =>
        name.Length > 0 && char.IsAsciiLetterLower(name[0]) && name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
