namespace Drover.Node.LoadBalancing;

public static class LoadBalancerProtocol
{
    /// <summary>Stop every listener (stop accepting, drain up to the deadline); answered with <see cref="Unbound"/>.</summary>
    public sealed record UnbindAll(TimeSpan Drain);

    public sealed record Unbound
    {
        public static readonly Unbound Instance = new();
    }
}
