using System.Net;
using System.Net.Sockets;

namespace Drover.Node.Tests.Support;

public static class FreePort
{
    /// <summary>A port that was free a moment ago (for processes that cannot report a port-0 bind back to the test).</summary>
    public static int Next()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
