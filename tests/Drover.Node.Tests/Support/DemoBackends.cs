using Drover.Core.Net;
using Drover.Node.Demo;

namespace Drover.Node.Tests.Support;

/// <summary>A set of real demo backends on free loopback ports, stopped on dispose.</summary>
public sealed class DemoBackends : IAsyncDisposable
{
    private DemoBackends(List<DemoBackend> backends) => All = backends;

    public List<DemoBackend> All { get; }

    public static async Task<DemoBackends> StartAsync(int count)
    {
        var backends = new List<DemoBackend>();
        for (var i = 1; i <= count; i++)
            backends.Add(await DemoBackend.StartAsync($"b{i}", new HostPort("127.0.0.1", 0)));
        return new DemoBackends(backends);
    }

    public (string, System.Net.IPEndPoint, int)[] Weighted(params int[] weights) =>
        All.Select((b, i) => (b.Id, b.EndPoint, weights.Length > i ? weights[i] : 1)).ToArray();

    public async Task StopAsync(string id)
    {
        var backend = All.Single(b => b.Id == id);
        await backend.DisposeAsync();
        All.Remove(backend);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var backend in All) await backend.DisposeAsync();
        All.Clear();
    }
}
