namespace Drover.Core.Configuration;

/// <summary>One problem found in the configuration, with the HOCON key path it belongs to.</summary>
public sealed record ConfigError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}
