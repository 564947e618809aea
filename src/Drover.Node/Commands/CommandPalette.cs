using Drover.Core.Commands;

namespace Drover.Node.Commands;

/// <summary>
/// A palette built from (spec, handler) pairs: derive, then call <see cref="Add"/> for each command
/// in the constructor.
/// </summary>
public abstract class CommandPalette : ICommandPalette
{
    public delegate Task<CommandResult> Handler(CommandRequest request, CommandContext context, CancellationToken cancellationToken);

    private readonly List<CommandSpec> _commands = new();
    private readonly Dictionary<string, Handler> _handlers = new(StringComparer.Ordinal);
    private readonly string _name;
    private readonly string _description;
    private PaletteSpec? _spec;

    protected CommandPalette(string name, string description)
    {
        _name = name;
        _description = description;
    }

    public PaletteSpec Spec => _spec ??= new PaletteSpec(_name, _description, _commands.ToArray());

    protected void Add(CommandSpec command, Handler handler)
    {
        if (_spec is not null) throw new InvalidOperationException("commands are added in the palette's constructor");
        _commands.Add(command);
        _handlers.Add(command.Name, handler);
    }

    public Task<CommandResult> ExecuteAsync(CommandRequest request, CommandContext context, CancellationToken cancellationToken) =>
        _handlers.TryGetValue(request.Command, out var handler)
            ? handler(request, context, cancellationToken)
            : Task.FromResult(CommandResult.Fail($"{_name} has no command '{request.Command}'"));
}
