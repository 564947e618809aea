using Drover.Core.Configuration;

namespace Drover.Node.Reload;

/// <summary>How one reload ended: applied (with what changed) or rejected (with every reason and its key path).</summary>
/// <param name="Summary">What changed, one line, or <c>no changes</c>; empty when rejected.</param>
/// <param name="Notes">Said beside an applied reload, e.g. that akka section changes need a restart.</param>
public sealed record ReloadOutcome(bool Applied, string Summary, IReadOnlyList<ConfigError> Errors, IReadOnlyList<string> Notes)
{
    public static ReloadOutcome Rejected(params ConfigError[] errors) => new(false, "", errors, []);

    /// <summary>Every error on one line: <c>drover.pools.web.backends[0].address: ...; drover.listeners.http.routes[1].pool: ...</c>.</summary>
    public string ErrorText => Errors.Count == 1
        ? Errors[0].ToString()
        : $"{Errors.Count} problems: {string.Join("; ", Errors)}";
}
