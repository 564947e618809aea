using Drover.Core.Configuration;

namespace Drover.Core.Health;

/// <summary>A pool's <c>retries { attempts, budget, on }</c>.</summary>
/// <param name="Attempts">Retries after the first try (0 = never retry), each on a backend not tried yet for the request.</param>
/// <param name="Budget">0..1: retries allowed as a share of recent requests (see <see cref="RetryBudget"/>); 0 = never retry.</param>
/// <param name="On">The outcomes that may be retried.</param>
public sealed record RetryConfig(int Attempts, double Budget, RetryOn On)
{
    public const int MaxAttempts = 10;

    public static readonly RetryConfig Default = new(
        Attempts: 2,
        Budget: 0.2,
        RetryOn.ConnectFailure | RetryOn.ResetBeforeResponse | RetryOn.Status502 | RetryOn.Status503 | RetryOn.Status504);

    public static readonly RetryConfig None = new(0, 0, RetryOn.None);

    /// <summary>The most tries one request gets, the first included.</summary>
    public int MaxTries => 1 + Math.Max(0, Attempts);

    public bool Enabled => Attempts > 0 && Budget > 0 && On != RetryOn.None;

    /// <summary>Range checks, each named by its key under <paramref name="path"/> (e.g. <c>drover.pools.web.retries</c>).</summary>
    public IReadOnlyList<ConfigError> Validate(string path)
    {
        var errors = new List<ConfigError>();
        if (Attempts < 0 || Attempts > MaxAttempts)
            errors.Add(new ConfigError($"{path}.attempts", $"must be from 0 to {MaxAttempts}"));
        if (!(Budget >= 0 && Budget <= 1))
            errors.Add(new ConfigError($"{path}.budget", "must be from 0% to 100%"));
        return errors;
    }
}
