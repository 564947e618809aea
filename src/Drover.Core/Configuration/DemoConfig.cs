using Drover.Core.Net;

namespace Drover.Core.Configuration;

/// <summary>In-process demo backends (<c>drover.demo</c>): ids b1..bN on consecutive loopback ports.</summary>
public sealed record DemoConfig(int Backends, int FirstPort, string Host = "127.0.0.1")
{
    public static readonly DemoConfig None = new(0, 9001);

    public IEnumerable<(string Id, HostPort Bind)> Instances()
    {
        for (var i = 0; i < Backends; i++)
            yield return ($"b{i + 1}", new HostPort(Host, FirstPort + i));
    }
}
