using System.Net;
using System.Net.Sockets;

namespace Drover.Node.Tests.Support;

public static class FreePort
{
    /// <summary>
    /// A port that was free a moment ago (for processes that cannot report a port-0 bind back to the
    /// test), below the ephemeral range as <see cref="Run"/> takes them: a port the kernel handed out for
    /// port 0 was often taken again, before the child process bound it, by another test's connection.
    /// </summary>
    public static int Next() => Run(1);

    /// <summary>
    /// The first of <paramref name="count"/> consecutive ports that were all free a moment ago, for a
    /// config that numbers ports from a first one (demo backends). They are taken below Linux's
    /// ephemeral range (32768 and up), where the port-0 binds of tests running alongside never land.
    /// </summary>
    public static int Run(int count)
    {
        for (var attempt = 0; attempt < 100; attempt++)
        {
            var first = Random.Shared.Next(20000, 32768 - count);
            var listeners = new List<TcpListener>();
            try
            {
                for (var port = first; port < first + count; port++)
                {
                    var listener = new TcpListener(IPAddress.Loopback, port);
                    listener.Start();
                    listeners.Add(listener);
                }
                return first;
            }
            catch (SocketException)
            {
                // One of them is taken: another run.
            }
            finally
            {
                foreach (var listener in listeners) listener.Stop();
            }
        }
        throw new InvalidOperationException($"no {count} consecutive free ports found below 32768");
    }
}
