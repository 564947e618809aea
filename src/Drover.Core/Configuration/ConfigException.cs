namespace Drover.Core.Configuration;

/// <summary>Thrown when a configuration cannot be used; carries every problem found, not just the first.</summary>
public sealed class ConfigException : Exception
{
    public ConfigException(IReadOnlyList<ConfigError> errors)
        : base(Format(errors)) => Errors = errors;

    public ConfigException(string path, string message)
        : this(new[] { new ConfigError(path, message) }) { }

    public IReadOnlyList<ConfigError> Errors { get; }

    private static string Format(IReadOnlyList<ConfigError> errors) =>
        errors.Count == 1
            ? $"invalid configuration: {errors[0]}"
            : $"invalid configuration ({errors.Count} problems):{Environment.NewLine}  " +
              string.Join(Environment.NewLine + "  ", errors);
}
