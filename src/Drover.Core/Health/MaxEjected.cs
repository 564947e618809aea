namespace Drover.Core.Health;

/// <summary>
/// The pool-wide limit on passive ejections (<c>max-ejected</c>), decided by the caller across its
/// backends and passed to <see cref="BackendHealth.OnFailure"/> / <see cref="BackendHealth.OnWindow"/>
/// as <c>allowEject</c>. Outlier detection must not empty a pool: when many backends fail at once the
/// fault is more likely shared (a database, the network) than theirs.
/// </summary>
public static class MaxEjected
{
    /// <summary>
    /// Whether one more (currently usable) backend may be ejected:
    /// <list type="bullet">
    /// <item>never when it is the last usable backend (<paramref name="usableNow"/> &lt;= 1);</item>
    /// <item>never when <paramref name="maxEjected"/> &lt;= 0 (ejection off);</item>
    /// <item>otherwise when <c>ejectedNow + 1 &lt;= max(1, floor(maxEjected * total))</c>: as Envoy's
    /// max_ejection_percent, at least one backend may always be ejected, so 10% of a 3-backend pool
    /// still allows one.</item>
    /// </list>
    /// <paramref name="ejectedNow"/> counts passive ejections only; backends Down by active checks are
    /// already excluded from <paramref name="usableNow"/>, which is what protects the last one.
    /// </summary>
    public static bool Allows(int ejectedNow, int usableNow, int total, double maxEjected)
    {
        if (usableNow <= 1 || total <= 1 || !(maxEjected > 0)) return false;
        // The epsilon keeps 0.3 * 10 from flooring to 2 on binary rounding.
        var limit = Math.Max(1, (int)Math.Floor(Math.Min(maxEjected, 1) * total + 1e-9));
        return ejectedNow + 1 <= limit;
    }
}
