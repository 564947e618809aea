using Drover.Core.Commands;

namespace Drover.Cli;

/// <summary><c>help</c> and <c>help PALETTE</c>, from the palettes the node sent.</summary>
public static class HelpText
{
    public static void Write(PaletteCatalog palettes, IReadOnlyList<string> words, TextWriter output)
    {
        if (words.Count == 0)
        {
            var rows = palettes.Palettes
                .SelectMany(p => p.Commands.Select(c => ($"{p.Name} {c.Usage}", c.Description)))
                .Append(("help [PALETTE]", "this list, or one palette's commands with their arguments"))
                .Append(("exit", "leave the prompt (Ctrl+C ends a running command only)"))
                .ToList();
            output.WriteLine("Commands (help PALETTE for the arguments):");
            WriteRows(rows, output);
            return;
        }

        if (palettes.Find(words[0]) is not { } palette)
            throw new CliException(ExitCodes.Usage, palettes.UnknownPalette(words[0]));
        output.WriteLine($"{palette.Name}: {palette.Description}");
        var all = new List<(string, string)>();
        foreach (var command in palette.Commands)
        {
            all.Add(($"{palette.Name} {command.Usage}", command.Description));
            all.AddRange(command.Arguments.Select(a => ($"    {a.Switches}{(a.Kind == ArgumentKind.Flag ? "" : " " + a.Placeholder)}", a.Description)));
        }
        WriteRows(all, output);
    }

    private static void WriteRows(IReadOnlyList<(string Left, string Right)> rows, TextWriter output)
    {
        var width = Math.Min(44, rows.Max(r => r.Left.Length)) + 2;
        foreach (var (left, right) in rows)
            output.WriteLine(left.Length >= width ? $"  {left}\n  {new string(' ', width)}{right}" : $"  {left.PadRight(width)}{right}");
    }
}
