using System.Globalization;

namespace Drover.Core.Commands;

/// <summary>
/// Binds typed words to a command's arguments (client side) and checks a set of named values
/// against the command (host side), with one-line errors that name the switch and show the usage.
/// </summary>
public static class CommandArguments
{
    public const string FlagValue = "true";

    /// <summary>
    /// Binds <c>-a VALUE</c>, <c>--address VALUE</c>, <c>--address=VALUE</c> and flags to the
    /// command's arguments by long name, then checks them with <see cref="Validate"/>.
    /// </summary>
    public static bool TryBind(string palette, CommandSpec command, IReadOnlyList<string> words,
        out Dictionary<string, string> values, out string error)
    {
        values = new Dictionary<string, string>(StringComparer.Ordinal);
        error = "";
        var where = $"{palette} {command.Name}";
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            string? inline = null;
            ArgumentSpec? argument = null;
            if (word.StartsWith("--", StringComparison.Ordinal) && word.Length > 2)
            {
                var name = word[2..];
                var eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    inline = name[(eq + 1)..];
                    name = name[..eq];
                }
                argument = command.FindArgument(name);
            }
            else if (word.StartsWith('-') && word.Length >= 2 && !char.IsAsciiDigit(word[1]))
            {
                var name = word[1..];
                var eq = name.IndexOf('=');
                if (eq >= 0)
                {
                    inline = name[(eq + 1)..];
                    name = name[..eq];
                }
                argument = command.Arguments.FirstOrDefault(a => a.Short == name);
            }
            else
            {
                error = $"{where}: unexpected '{word}' ({Expected(command)})";
                return false;
            }

            if (argument is null)
            {
                error = $"{where}: unknown option '{word.Split('=')[0]}' ({Expected(command)})";
                return false;
            }
            if (values.ContainsKey(argument.Name))
            {
                error = $"{where}: {argument.Switches} given twice";
                return false;
            }
            if (argument.Kind == ArgumentKind.Flag)
            {
                if (inline is not null)
                {
                    error = $"{where}: {argument.Switches} is a flag and takes no value";
                    return false;
                }
                values[argument.Name] = FlagValue;
                continue;
            }
            if (inline is null)
            {
                if (i + 1 >= words.Count)
                {
                    error = $"{where}: {argument.Switches} needs a value ({argument.Usage.Trim('[', ']')})";
                    return false;
                }
                inline = words[++i];
            }
            values[argument.Name] = inline;
        }
        return Validate(palette, command, values, out error);
    }

    /// <summary>Every required argument present, no unknown names, numbers that parse.</summary>
    public static bool Validate(string palette, CommandSpec command, IReadOnlyDictionary<string, string> values, out string error)
    {
        var where = $"{palette} {command.Name}";
        foreach (var (name, value) in values)
        {
            var argument = command.FindArgument(name);
            if (argument is null)
            {
                error = $"{where}: unknown option '--{name}' ({Expected(command)})";
                return false;
            }
            if (argument.Kind == ArgumentKind.Number && !TryNumber(value, out _))
            {
                error = $"{where}: {argument.Switches}: '{value}' is not a whole number";
                return false;
            }
            if (argument.Kind == ArgumentKind.Text && string.IsNullOrWhiteSpace(value))
            {
                error = $"{where}: {argument.Switches} must not be empty";
                return false;
            }
        }
        foreach (var argument in command.Arguments)
        {
            if (argument.Required && !values.ContainsKey(argument.Name))
            {
                error = $"{where}: missing {argument.Switches} {argument.Placeholder} (usage: {palette} {command.Usage})";
                return false;
            }
        }
        error = "";
        return true;
    }

    public static bool TryNumber(string text, out int value) =>
        int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    private static string Expected(CommandSpec command) =>
        command.Arguments.Count == 0
            ? $"{command.Name} takes no arguments"
            : $"options: {string.Join(", ", command.Arguments.Select(a => a.Switches))}";
}
