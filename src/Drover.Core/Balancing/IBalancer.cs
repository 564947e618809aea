using Drover.Core.Pools;

namespace Drover.Core.Balancing;

/// <summary>
/// Picks one of a snapshot's candidates. An instance is built for one candidate set and is immutable
/// apart from lock-free cursors, so any number of threads pick concurrently without locks.
/// </summary>
public interface IBalancer
{
    /// <summary>The index into the candidates, or -1 when every candidate is excluded (or there are none).</summary>
    int Pick(in PickContext context);
}
