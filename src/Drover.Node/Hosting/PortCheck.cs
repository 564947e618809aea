using System.Net;
using System.Net.Sockets;
using Drover.Core.Configuration;

namespace Drover.Node.Hosting;

/// <summary>
/// Tries every address the node will listen on before anything binds for real, so a port in use
/// stops the node with a message naming the key, instead of leaving it half started.
/// </summary>
public static class PortCheck
{
    public static IReadOnlyList<ConfigError> FindUnavailable(NodeConfiguration config)
    {
        var errors = new List<ConfigError>();
        foreach (var listener in config.Drover.Listeners)
            Check($"{listener.Path}.bind", listener.Bind.ToEndPoint(), errors);
        foreach (var (id, bind) in config.Drover.Demo.Instances())
            Check($"drover.demo (backend {id})", bind.ToEndPoint(), errors);
        if (config.Drover.Cmd.Enabled) Check("drover.cmd.bind", config.Drover.Cmd.Bind.ToEndPoint(), errors);
        if (config.Drover.Admin.Enabled) Check("drover.admin.bind", config.Drover.Admin.Bind.ToEndPoint(), errors);

        var remoting = config.Hocon.GetConfig("akka.remote.dot-netty.tcp");
        if (remoting is not null && config.Hocon.GetString("akka.actor.provider", "") is "cluster" or "remote")
        {
            var host = remoting.GetString("hostname", "");
            var port = remoting.GetInt("port", 0);
            if (port != 0 && IPAddress.TryParse(string.IsNullOrEmpty(host) ? "0.0.0.0" : host, out var ip))
                Check("akka.remote.dot-netty.tcp.port", new IPEndPoint(ip, port), errors);
        }
        return errors;
    }

    /// <summary>The listeners' binds that cannot be bound now (a reload checks the sockets it would open).</summary>
    public static IReadOnlyList<ConfigError> FindUnavailable(IEnumerable<ListenerConfig> listeners)
    {
        var errors = new List<ConfigError>();
        foreach (var listener in listeners)
            Check($"{listener.Path}.bind", listener.Bind.ToEndPoint(), errors);
        return errors;
    }

    private static void Check(string path, EndPoint endPoint, List<ConfigError> errors)
    {
        if (endPoint is not IPEndPoint ip || ip.Port == 0) return;
        using var socket = new Socket(ip.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.Bind(ip);
            socket.Listen(1);
        }
        catch (SocketException ex)
        {
            var reason = ex.SocketErrorCode switch
            {
                SocketError.AddressAlreadyInUse => "is already in use",
                SocketError.AddressNotAvailable => "is not an address of this machine",
                SocketError.AccessDenied => "needs privileges to bind (ports below 1024)",
                _ => $"cannot be bound ({ex.SocketErrorCode})",
            };
            errors.Add(new ConfigError(path, $"{ip} {reason}"));
        }
    }
}
