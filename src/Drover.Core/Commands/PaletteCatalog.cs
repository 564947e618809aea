namespace Drover.Core.Commands;

/// <summary>
/// The palettes one node offers, with the lookups and one-line errors that both the host and the
/// CLI use: unknown palette or command, each with the valid names and a "did you mean".
/// </summary>
public sealed class PaletteCatalog
{
    private readonly Dictionary<string, PaletteSpec> _byName;

    public PaletteCatalog(IEnumerable<PaletteSpec> palettes)
    {
        Palettes = palettes.OrderBy(p => p.Name, StringComparer.Ordinal).ToArray();
        _byName = new Dictionary<string, PaletteSpec>(StringComparer.Ordinal);
        foreach (var palette in Palettes) _byName.TryAdd(palette.Name, palette);
    }

    public IReadOnlyList<PaletteSpec> Palettes { get; }

    public PaletteSpec? Find(string name) => _byName.GetValueOrDefault(name);

    public bool TryResolve(string palette, string command, out PaletteSpec paletteSpec, out CommandSpec commandSpec, out string error)
    {
        paletteSpec = null!;
        commandSpec = null!;
        if (Find(palette) is not { } p)
        {
            error = UnknownPalette(palette);
            return false;
        }
        paletteSpec = p;
        if (p.FindCommand(command) is not { } c)
        {
            error = UnknownCommand(p, command);
            return false;
        }
        commandSpec = c;
        error = "";
        return true;
    }

    public string UnknownPalette(string name)
    {
        var names = Palettes.Select(p => p.Name).ToArray();
        var hint = Suggestions.Closest(name, names) is { } s ? $"did you mean '{s}'? " : "";
        return $"unknown palette '{name}' ({hint}palettes: {(names.Length == 0 ? "none" : string.Join(", ", names))})";
    }

    public static string UnknownCommand(PaletteSpec palette, string name)
    {
        var names = palette.Commands.Select(c => c.Name).ToArray();
        var hint = Suggestions.Closest(name, names) is { } s ? $"did you mean '{s}'? " : "";
        return $"unknown command '{palette.Name} {name}' ({hint}{palette.Name} commands: {string.Join(", ", names)})";
    }
}
