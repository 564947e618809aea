namespace Drover.Core.Health;

/// <summary>What a pool does when no backend is usable (<c>all-unhealthy</c>).</summary>
public enum AllUnhealthyMode
{
    /// <summary>Answer 503 (HTTP) or close the connection (TCP).</summary>
    Fail,
    /// <summary>Panic mode: send to every backend regardless of health, since a guess beats certain failure.</summary>
    UseAll,
}
