using Akka.Configuration;
using Drover.Core.Configuration;

namespace Drover.Node.Configuration;

/// <summary>
/// Reads the <c>drover { ... }</c> section of the merged HOCON into a <see cref="DroverConfig"/> and
/// validates it. Every problem (syntax of a value or a cross-reference) is collected and thrown
/// together in one <see cref="ConfigException"/>, each naming its key path.
/// </summary>
public static class DroverConfigReader
{
    private static readonly string[] RootKeys = ["listeners", "pools", "demo", "cmd", "access-log", "admin", "cluster", "reload", "shutdown", "io"];
    private static readonly string[] ListenerKeys = ["mode", "bind", "routes", "pool", "sni-routes", "inspect-delay", "fast-path"];
    private static readonly string[] RouteKeys = ["host", "path-prefix", "pool", "header", "methods"];
    private static readonly string[] HeaderKeys = ["name", "value"];
    private static readonly string[] DemoKeys = ["backends", "first-port", "host"];
    private static readonly string[] ClusterKeys = ["secret"];
    private static readonly string[] ReloadKeys = ["watch"];
    private static readonly string[] IoKeys = ["engine", "busy-poll", "splice"];

    public static DroverConfig Read(Config config)
    {
        var errors = new List<ConfigError>();
        var root = new HoconNode(config.HasPath("drover") ? config.GetValue("drover") : null, "drover", errors);
        if (!root.Exists)
            throw new ConfigException("drover", "the configuration has no drover { ... } section");
        root.RejectUnknownKeys(RootKeys);

        var pools = new List<PoolConfig>();
        var poolsNode = root.Child("pools");
        foreach (var name in poolsNode.Keys())
        {
            if (!IsIdentifier(name)) poolsNode.Child(name).Error("a pool name may contain only letters, digits, '-', '_' and '.'");
            else if (PoolConfigReader.Read(name, poolsNode.Child(name)) is { } pool) pools.Add(pool);
        }

        var listeners = new List<ListenerConfig>();
        var listenersNode = root.Child("listeners");
        foreach (var name in listenersNode.Keys())
        {
            if (!IsIdentifier(name)) listenersNode.Child(name).Error("a listener name may contain only letters, digits, '-', '_' and '.'");
            else if (ReadListener(name, listenersNode.Child(name)) is { } listener) listeners.Add(listener);
        }

        var demo = ReadDemo(root.Child("demo"));
        var result = new DroverConfig(listeners, pools, demo)
        {
            Cmd = CmdConfigReader.Read(root.Child("cmd")),
            AccessLog = AccessLogConfigReader.Read(root.Child("access-log")),
            Admin = AdminConfigReader.Read(root.Child("admin")),
            Cluster = ReadCluster(root.Child("cluster")),
            Reload = ReadReload(root.Child("reload")),
            Shutdown = ShutdownConfigReader.Read(root.Child("shutdown")),
            Io = ReadIo(root.Child("io")),
        };
        if (result.Cmd.FaultInjection && !AppliesThrottler(config))
            errors.Add(new ConfigError("drover.cmd.fault-injection",
                $"needs Akka's throttler transport: set {ThrottlerKey} = [trttl] on every node of the cluster (member addresses then start akka.trttl.tcp://)"));

        // Cross-reference checks run on what parsed; a complaint about a key whose parts already
        // have a precise error (e.g. "no backends" when each backend failed to parse) is dropped.
        var parseErrors = errors.ToList();
        foreach (var error in DroverConfigValidator.Validate(result))
            if (!parseErrors.Any(p => p.Path.StartsWith(error.Path, StringComparison.Ordinal))) errors.Add(error);
        if (errors.Count > 0) throw new ConfigException(errors);
        return result;
    }

    private static ListenerConfig? ReadListener(string name, HoconNode node)
    {
        if (!node.IsObject)
        {
            node.Error("a listener must be an object { mode = ..., bind = ... }");
            return null;
        }
        node.RejectUnknownKeys(ListenerKeys);

        var modeText = node.RequiredString("mode");
        var mode = ListenerMode.Http;
        if (modeText is not null)
        {
            if (modeText.Equals("http", StringComparison.OrdinalIgnoreCase)) mode = ListenerMode.Http;
            else if (modeText.Equals("tcp", StringComparison.OrdinalIgnoreCase)) mode = ListenerMode.Tcp;
            else node.Error("mode", $"unknown mode '{modeText}' (expected http | tcp)");
        }

        var bind = node.HostPort("bind", allowPortZero: true);
        if (bind is { } b && !b.IsAnyAddress && !b.IsIpLiteral && !b.Host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
            node.Error("bind", $"'{b.Host}' must be an IP address, localhost or * (a listener binds to a local address)");

        var routes = new List<RouteConfig>();
        foreach (var r in node.ObjectList("routes"))
        {
            r.RejectUnknownKeys(RouteKeys);
            var pool = r.RequiredString("pool");
            var host = r.String("host", "*")!.Trim();
            var prefix = r.String("path-prefix", "/")!.Trim();
            string? headerName = null, headerValue = null;
            var header = r.Child("header");
            if (header.Exists)
            {
                header.RejectUnknownKeys(HeaderKeys);
                headerName = header.RequiredString("name");
                headerValue = header.String("value");
            }
            var methods = r.StringList("methods").Select(m => m.Trim().ToUpperInvariant()).ToList();
            foreach (var m in methods)
                if (m.Length == 0 || !m.All(char.IsAsciiLetterUpper))
                    r.Error("methods", $"'{m}' is not an HTTP method");
            if (pool is not null) routes.Add(new RouteConfig(host, prefix, pool, headerName, headerValue, methods));
        }

        var sniRoutes = new List<SniRouteConfig>();
        var sni = node.Child("sni-routes");
        foreach (var serverName in sni.Keys())
        {
            var pool = sni.String(serverName);
            if (string.IsNullOrWhiteSpace(pool)) sni.Child(serverName).Error("must name a pool");
            else sniRoutes.Add(new SniRouteConfig(serverName, pool.Trim()));
        }

        var inspectDelay = node.Duration("inspect-delay", ListenerConfig.DefaultInspectDelay);
        var fastPath = node.Bool("fast-path", true);
        var poolName = node.String("pool")?.Trim();
        if (bind is null || modeText is null) return null;
        return new ListenerConfig(name, mode, bind.Value, routes, poolName, sniRoutes, inspectDelay, fastPath);
    }

    private static DemoConfig ReadDemo(HoconNode node)
    {
        if (!node.Exists) return DemoConfig.None;
        node.RejectUnknownKeys(DemoKeys);
        var count = node.Int("backends", 0, 0, 64);
        var firstPort = node.Int("first-port", 9001, 1, 65535);
        var host = node.String("host", "127.0.0.1")!.Trim();
        if (count > 0 && firstPort + count - 1 > 65535)
            node.Error("first-port", $"{firstPort} + {count} backends runs past port 65535");
        return new DemoConfig(count, firstPort, host);
    }

    private static ClusterConfig ReadCluster(HoconNode node)
    {
        if (!node.Exists) return ClusterConfig.Default;
        node.RejectUnknownKeys(ClusterKeys);
        var secret = node.String("secret");
        return new ClusterConfig(string.IsNullOrEmpty(secret) ? null : secret);
    }

    private static ReloadConfig ReadReload(HoconNode node)
    {
        if (!node.Exists) return ReloadConfig.Default;
        if (!node.IsObject)
        {
            node.Error("must be an object { watch = on }");
            return ReloadConfig.Default;
        }
        node.RejectUnknownKeys(ReloadKeys);
        return new ReloadConfig(node.Bool("watch", ReloadConfig.Default.Watch));
    }

    private static IoConfig ReadIo(HoconNode node)
    {
        if (!node.Exists) return IoConfig.Default;
        if (!node.IsObject)
        {
            node.Error("must be an object { engine = epoll }");
            return IoConfig.Default;
        }
        node.RejectUnknownKeys(IoKeys);
        var busyPoll = node.Duration("busy-poll", IoConfig.DefaultBusyPoll);
        if (busyPoll > IoConfig.MaxBusyPoll)
        {
            node.Error("busy-poll", $"must be at most {IoConfig.MaxBusyPoll.TotalMilliseconds:0}ms (0 turns busy polling off)");
            busyPoll = IoConfig.DefaultBusyPoll;
        }
        var splice = node.Bool("splice", IoConfig.Default.Splice);
        var text = node.String("engine", "epoll")!;
        switch (text.Trim().ToLowerInvariant())
        {
            case "epoll": return new IoConfig(IoEngine.Epoll, busyPoll, splice);
            case "sockets": return new IoConfig(IoEngine.Sockets, busyPoll, splice);
            default:
                node.Error("engine", $"unknown engine '{text}' (expected epoll or sockets)");
                return IoConfig.Default;
        }
    }

    public const string ThrottlerKey = "akka.remote.dot-netty.tcp.applied-adapters";

    /// <summary>True when remoting runs through Akka's throttler adapter, which the fault palette drives.</summary>
    public static bool AppliesThrottler(Config config) =>
        config.HasPath(ThrottlerKey) && config.GetStringList(ThrottlerKey).Any(a => a.Trim() == "trttl");

    internal static bool IsIdentifier(string id) =>
        id.Length > 0 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');
}
