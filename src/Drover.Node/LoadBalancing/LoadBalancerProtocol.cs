using Drover.Core.Configuration;

namespace Drover.Node.LoadBalancing;

public static class LoadBalancerProtocol
{
    /// <summary>Stop every listener (stop accepting, drain up to the deadline); answered with <see cref="Unbound"/>.</summary>
    public sealed record UnbindAll(TimeSpan Drain);

    public sealed record Unbound
    {
        public static readonly Unbound Instance = new();
    }

    /// <summary>
    /// Apply a reloaded, already validated <c>drover</c> section; answered with <see cref="ReloadResult"/>
    /// once the changed pools have published their new snapshots. Rejected whole (nothing changes) when
    /// it holds a change that needs a restart.
    /// </summary>
    public sealed record Reload(DroverConfig Config);

    /// <param name="Summary">What changed, one line (<c>+pool api, ~pool web (+b4 -b2, weights), -listener old</c>), or <c>no changes</c>.</param>
    /// <param name="Errors">Why it was rejected, each with its key path; empty when applied.</param>
    public sealed record ReloadResult(bool Applied, string Summary, IReadOnlyList<ConfigError> Errors)
    {
        public static ReloadResult Rejected(IReadOnlyList<ConfigError> errors) => new(false, "", errors);
    }
}
