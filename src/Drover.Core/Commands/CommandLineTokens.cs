using System.Text;

namespace Drover.Core.Commands;

/// <summary>Splits a typed line into words the way a shell would for simple cases: spaces separate, quotes group.</summary>
public static class CommandLineTokens
{
    /// <summary>
    /// Words of <paramref name="line"/>; <c>"..."</c> and <c>'...'</c> group (the quotes are dropped)
    /// and a backslash escapes the next character. An unclosed quote is an error.
    /// </summary>
    public static bool TrySplit(string line, out List<string> words, out string error)
    {
        words = new List<string>();
        error = "";
        var current = new StringBuilder();
        var inWord = false;
        char? quote = null;
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (c == '\\' && i + 1 < line.Length && quote != '\'')
            {
                current.Append(line[++i]);
                inWord = true;
            }
            else if (quote is not null)
            {
                if (c == quote) quote = null;
                else current.Append(c);
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inWord = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) words.Add(current.ToString());
                current.Clear();
                inWord = false;
            }
            else
            {
                current.Append(c);
                inWord = true;
            }
        }
        if (quote is not null)
        {
            error = $"unclosed {quote} quote";
            return false;
        }
        if (inWord) words.Add(current.ToString());
        return true;
    }
}
