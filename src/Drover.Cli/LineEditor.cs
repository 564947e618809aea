using System.Text;

namespace Drover.Cli;

/// <summary>
/// Reads one line at a terminal, key by key: editing (left/right, home/end, backspace, delete,
/// Ctrl+U), history (up/down), Tab completion, Ctrl+C to drop the line and Ctrl+D to end.
/// Redraws with plain ANSI sequences; a line longer than the terminal is wide may redraw untidily.
/// </summary>
public sealed class LineEditor(Func<ConsoleKeyInfo> readKey, TextWriter output, Func<string, IReadOnlyList<string>>? complete = null)
{
    private readonly List<string> _history = new();

    public IReadOnlyList<string> History => _history;

    public void AddHistory(string line)
    {
        if (line.Length > 0 && (_history.Count == 0 || _history[^1] != line)) _history.Add(line);
    }

    /// <summary>The typed line; empty after Ctrl+C; null after Ctrl+D on an empty line.</summary>
    public string? ReadLine(string prompt)
    {
        output.Write(prompt);
        var buffer = new StringBuilder();
        var cursor = 0;
        var historyIndex = _history.Count;
        var draft = "";

        void Redraw()
        {
            output.Write($"\r{prompt}{buffer}\u001b[K");
            var back = buffer.Length - cursor;
            if (back > 0) output.Write($"\u001b[{back}D");
        }

        void Replace(string text)
        {
            buffer.Clear().Append(text);
            cursor = buffer.Length;
            Redraw();
        }

        while (true)
        {
            var key = readKey();
            var control = (key.Modifiers & ConsoleModifiers.Control) != 0;
            switch (key.Key)
            {
                case ConsoleKey.Enter:
                    output.WriteLine();
                    return buffer.ToString();
                case ConsoleKey.Backspace:
                    if (cursor > 0)
                    {
                        buffer.Remove(--cursor, 1);
                        Redraw();
                    }
                    continue;
                case ConsoleKey.Delete:
                    if (cursor < buffer.Length)
                    {
                        buffer.Remove(cursor, 1);
                        Redraw();
                    }
                    continue;
                case ConsoleKey.LeftArrow:
                    if (cursor > 0)
                    {
                        cursor--;
                        output.Write("\u001b[D");
                    }
                    continue;
                case ConsoleKey.RightArrow:
                    if (cursor < buffer.Length)
                    {
                        cursor++;
                        output.Write("\u001b[C");
                    }
                    continue;
                case ConsoleKey.Home:
                    cursor = 0;
                    Redraw();
                    continue;
                case ConsoleKey.End:
                    cursor = buffer.Length;
                    Redraw();
                    continue;
                case ConsoleKey.UpArrow:
                    if (historyIndex > 0)
                    {
                        if (historyIndex == _history.Count) draft = buffer.ToString();
                        Replace(_history[--historyIndex]);
                    }
                    continue;
                case ConsoleKey.DownArrow:
                    if (historyIndex < _history.Count)
                    {
                        historyIndex++;
                        Replace(historyIndex == _history.Count ? draft : _history[historyIndex]);
                    }
                    continue;
                case ConsoleKey.Tab:
                    Complete(buffer, ref cursor, prompt, Redraw);
                    continue;
            }

            if (control)
            {
                switch (key.Key)
                {
                    case ConsoleKey.C:
                        output.WriteLine("^C");
                        return "";
                    case ConsoleKey.D when buffer.Length == 0:
                        output.WriteLine();
                        return null;
                    case ConsoleKey.A:
                        cursor = 0;
                        Redraw();
                        break;
                    case ConsoleKey.E:
                        cursor = buffer.Length;
                        Redraw();
                        break;
                    case ConsoleKey.U:
                        buffer.Remove(0, cursor);
                        cursor = 0;
                        Redraw();
                        break;
                }
                continue;
            }

            if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
            {
                buffer.Insert(cursor++, key.KeyChar);
                if (cursor == buffer.Length) output.Write(key.KeyChar);
                else Redraw();
            }
        }
    }

    /// <summary>Completes the word before the cursor: fully when one candidate fits, to their common prefix, else lists them.</summary>
    private void Complete(StringBuilder buffer, ref int cursor, string prompt, Action redraw)
    {
        if (complete is null) return;
        var before = buffer.ToString(0, cursor);
        var start = before.LastIndexOf(' ') + 1;
        var word = before[start..];
        var candidates = complete(before).Where(c => c.StartsWith(word, StringComparison.Ordinal)).Distinct().ToList();
        if (candidates.Count == 0) return;
        var common = candidates.Aggregate((a, b) => a[..CommonLength(a, b)]);
        var insert = common[word.Length..] + (candidates.Count == 1 ? " " : "");
        if (insert.Length > 0)
        {
            buffer.Insert(cursor, insert);
            cursor += insert.Length;
            redraw();
            return;
        }
        output.WriteLine();
        output.WriteLine(string.Join("  ", candidates));
        output.Write(prompt);
        redraw();
    }

    private static int CommonLength(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n]) n++;
        return n;
    }
}
