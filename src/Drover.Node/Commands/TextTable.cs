namespace Drover.Node.Commands;

/// <summary>
/// A plain-text table for command output: a header row, then rows, columns padded to their widest
/// cell and separated by two spaces; columns of numbers (or <c>-</c>) are right-aligned, others left-aligned.
/// </summary>
public sealed class TextTable(params string[] header)
{
    private readonly List<string[]> _rows = [header];

    public void Add(params string[] row)
    {
        if (row.Length != header.Length) throw new ArgumentException($"a row of {row.Length} cells in a table of {header.Length} columns", nameof(row));
        _rows.Add(row);
    }

    public IEnumerable<string> Lines()
    {
        var widths = new int[header.Length];
        foreach (var row in _rows)
            for (var c = 0; c < row.Length; c++)
                widths[c] = Math.Max(widths[c], row[c].Length);
        var numeric = new bool[header.Length];
        for (var c = 0; c < numeric.Length; c++)
            numeric[c] = _rows.Count > 1 && _rows.Skip(1).All(r => r[c] == "-" || double.TryParse(r[c], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out _));
        foreach (var row in _rows)
            yield return string.Join("  ", row.Select((cell, c) => numeric[c] ? cell.PadLeft(widths[c]) : cell.PadRight(widths[c]))).TrimEnd();
    }
}
