namespace Drover.Core.Configuration;

/// <summary><c>drover.reload { watch }</c>: whether a change of the config file on disk reloads the <c>drover</c> section.</summary>
public sealed record ReloadConfig(bool Watch)
{
    public static readonly ReloadConfig Default = new(Watch: true);
}
