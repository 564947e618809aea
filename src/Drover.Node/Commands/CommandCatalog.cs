using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>The palettes registered on this node, checked once at start (well-formed names, no palette twice).</summary>
public sealed class CommandCatalog
{
    private readonly Dictionary<string, ICommandPalette> _palettes = new(StringComparer.Ordinal);

    public CommandCatalog(IEnumerable<ICommandPalette> palettes)
    {
        var problems = new List<string>();
        foreach (var palette in palettes)
        {
            problems.AddRange(palette.Spec.Problems());
            if (!_palettes.TryAdd(palette.Spec.Name, palette))
                problems.Add($"palette '{palette.Spec.Name}' is registered twice ({_palettes[palette.Spec.Name].GetType().Name} and {palette.GetType().Name})");
        }
        if (problems.Count > 0) throw new InvalidOperationException("bad command palettes: " + string.Join("; ", problems));
        Specs = new PaletteCatalog(_palettes.Values.Select(p => p.Spec));
    }

    public PaletteCatalog Specs { get; }

    public ICommandPalette? Find(string name) => _palettes.GetValueOrDefault(name);
}
