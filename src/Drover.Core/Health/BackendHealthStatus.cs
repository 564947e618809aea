namespace Drover.Core.Health;

public enum BackendHealthStatus
{
    /// <summary>Takes new traffic.</summary>
    Up,
    /// <summary>Active checks failed <c>fall</c> times in a row; stays out until <c>rise</c> good checks.</summary>
    Down,
    /// <summary>Passive outlier ejection: out for a limited time, then back (or Down if active checks say so).</summary>
    Ejected,
}
