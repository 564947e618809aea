using System.Text.RegularExpressions;
using Akka.Configuration;
using Drover.Core.Configuration;

namespace Drover.Node.Configuration;

/// <summary>
/// Parses HOCON text with Akka's parser, with fixes for users: a comma right after a nested
/// object (<c>sni-routes { ... }, pool = x</c>), valid HOCON that Akka's parser rejects, is
/// accepted; brackets are checked first, because Akka's parser never returns on a list closed by
/// <c>}</c>; and a syntax error names the line and column instead of a character offset.
/// </summary>
public static partial class HoconText
{
    /// <summary>Backstop for other inputs the parser might loop on: a config is never this slow to parse.</summary>
    private static readonly TimeSpan ParseDeadline = TimeSpan.FromSeconds(10);

    public static Config Parse(string text, string source)
    {
        var normalized = AcceptCommaAfterObject(text);
        if (FindUnbalancedBracket(text) is { } bracketError)
            throw new ConfigException(source, $"HOCON syntax error at {bracketError}");
        try
        {
            var parse = Task.Run(() => ConfigurationFactory.ParseString(normalized));
            if (!parse.Wait(ParseDeadline))
                throw new ConfigException(source, "HOCON syntax error: the parser did not finish; look for an unclosed string, list or object");
            return parse.Result;
        }
        catch (ConfigException)
        {
            throw;
        }
        catch (Exception wrapped)
        {
            var ex = wrapped is AggregateException { InnerException: { } inner } ? inner : wrapped;
            var message = ex.Message.Split('\n')[0].Trim().TrimEnd(':');
            var position = PositionPattern().Match(message);
            if (position.Success && int.TryParse(position.Groups[1].Value, out var offset))
            {
                var (line, column) = LineAndColumn(text, offset);
                message = $"line {line}, column {column}: {PositionPattern().Replace(message, "").Trim()}";
            }
            throw new ConfigException(source, $"HOCON syntax error at {message}");
        }
    }

    /// <summary>
    /// Replaces a comma that follows a closing brace (outside strings and comments) by a newline,
    /// which HOCON treats the same. One character for one, so error offsets still match the input.
    /// </summary>
    internal static string AcceptCommaAfterObject(string text)
    {
        char[]? chars = null;
        var i = 0;
        while (i < text.Length)
        {
            if (SkipStringOrComment(text, i) is var skipped && skipped > i)
            {
                i = skipped;
                continue;
            }
            var c = text[i];
            if (c == '}')
            {
                var j = i + 1;
                while (j < text.Length && (text[j] == ' ' || text[j] == '\t')) j++;
                if (j < text.Length && text[j] == ',')
                {
                    chars ??= text.ToCharArray();
                    chars[j] = '\n';
                }
            }
            i++;
        }
        return chars is null ? text : new string(chars);
    }

    /// <summary>
    /// The first bracket that closes the wrong opener (or none), outside strings and comments, as
    /// "line L, column C: ..."; null when brackets balance.
    /// </summary>
    internal static string? FindUnbalancedBracket(string text)
    {
        var open = new Stack<(char Bracket, int Offset)>();
        var i = 0;
        while (i < text.Length)
        {
            if (SkipStringOrComment(text, i) is var skipped && skipped > i)
            {
                i = skipped;
                continue;
            }
            var c = text[i];
            if (c is '{' or '[') open.Push((c, i));
            else if (c is '}' or ']')
            {
                var expected = c == '}' ? '{' : '[';
                if (open.Count == 0)
                    return At(text, i, $"'{c}' closes nothing");
                var (bracket, offset) = open.Pop();
                if (bracket != expected)
                {
                    var (line, column) = LineAndColumn(text, offset);
                    return At(text, i, $"'{c}' cannot close the '{bracket}' opened at line {line}, column {column}");
                }
            }
            i++;
        }
        return open.Count == 0 ? null : At(text, open.Peek().Offset, $"'{open.Peek().Bracket}' is never closed");
    }

    private static string At(string text, int offset, string message)
    {
        var (line, column) = LineAndColumn(text, offset);
        return $"line {line}, column {column}: {message}";
    }

    /// <summary>
    /// At a string or comment, the offset just past it; otherwise <paramref name="i"/> itself. The two
    /// scanners above look at structure only, never inside strings or comments.
    /// </summary>
    private static int SkipStringOrComment(string text, int i)
    {
        if (text[i] == '"') return SkipString(text, i);
        if (text[i] == '#' || (text[i] == '/' && i + 1 < text.Length && text[i + 1] == '/'))
        {
            while (i < text.Length && text[i] != '\n') i++;
        }
        return i;
    }

    /// <summary>The offset just past the string starting at <paramref name="start"/> (plain or triple-quoted).</summary>
    private static int SkipString(string text, int start)
    {
        if (start + 2 < text.Length && text[start + 1] == '"' && text[start + 2] == '"')
        {
            var end = text.IndexOf("\"\"\"", start + 3, StringComparison.Ordinal);
            return end < 0 ? text.Length : end + 3;
        }
        var i = start + 1;
        while (i < text.Length && text[i] != '"' && text[i] != '\n') i += text[i] == '\\' ? 2 : 1;
        return i + 1;
    }

    private static (int Line, int Column) LineAndColumn(string text, int offset)
    {
        var line = 1;
        var column = 1;
        for (var i = 0; i < Math.Min(offset, text.Length); i++)
        {
            if (text[i] == '\n')
            {
                line++;
                column = 1;
            }
            else column++;
        }
        return (line, column);
    }

    [GeneratedRegex(@"at position (\d+)")]
    private static partial Regex PositionPattern();
}
