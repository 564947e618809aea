using Drover.Core.Net;
using Drover.Core.Pools;

namespace Drover.Core.Configuration;

/// <summary>One entry of a pool's <c>backends</c> list.</summary>
/// <param name="Weight">0 to <see cref="MaxWeight"/>; 0 keeps the backend configured but gives it no new traffic.</param>
public sealed record BackendConfig(string Id, HostPort Address, int Weight = 1)
{
    public const int MaxWeight = 1000;

    /// <summary>The admin state the backend starts in (<c>state = ready | drain | maint</c>).</summary>
    public AdminState State { get; init; } = AdminState.Ready;
}
