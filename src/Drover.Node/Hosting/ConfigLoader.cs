using System.Collections;
using Akka.Configuration;
using Akka.Hosting.Configuration;
using Drover.Core.Configuration;
using Drover.Node.Configuration;
using Microsoft.Extensions.Configuration;

namespace Drover.Node.Hosting;

/// <summary>
/// Loads the node's HOCON: the file (given with <c>--config</c>, else <c>./akka.hocon</c>, else the
/// copy beside the executable), overridden by <c>CLUSTER_IP/PORT/SEEDS/ROLES</c>, overridden in turn
/// by <c>AKKA__...</c> and <c>DROVER__...</c> variables (Akka.Hosting's convention: <c>__</c> between
/// keys, <c>_</c> for <c>-</c>, a number for a list index; e.g. <c>DROVER__LISTENERS__WEB__BIND=0.0.0.0:80</c>).
/// As in HOCON, a list given this way replaces the file's list whole. Under all of it lie
/// <see cref="AkkaDefaults"/>.
/// </summary>
public static class ConfigLoader
{
    public const string DefaultFileName = "akka.hocon";

    public static NodeConfiguration Load(string? path, IDictionary? environment = null)
    {
        path ??= FindDefaultFile() ?? throw new ConfigException("--config",
            $"no {DefaultFileName} in the current directory or beside the executable; pass --config FILE");
        if (!File.Exists(path)) throw new ConfigException("--config", $"file '{path}' does not exist");

        var file = HoconText.Parse(File.ReadAllText(path), path);
        environment ??= Environment.GetEnvironmentVariables();
        var full = Path.GetFullPath(path);
        return FromHocon(file, full, environment) with { File = full, Environment = environment };
    }

    public static NodeConfiguration FromHocon(Config file, string source, IDictionary? environment = null)
    {
        var merged = file.WithFallback(AkkaDefaults.Config);
        if (environment is not null)
        {
            var variables = EnvironmentOverrides(environment);
            var scheme = AddressScheme(variables.WithFallback(merged));
            merged = variables.WithFallback(ClusterOverrides(environment, scheme).WithFallback(merged));
        }
        var drover = DroverConfigReader.Read(merged);
        return new NodeConfiguration(ShutdownPhases(drover.Shutdown, merged).WithFallback(merged), drover, source);
    }

    private const string BeforeUnbindTimeout = "akka.coordinated-shutdown.phases.before-service-unbind.timeout";
    private const string UnbindTimeout = "akka.coordinated-shutdown.phases.service-unbind.timeout";

    /// <summary>
    /// CoordinatedShutdown's phase timeouts raised to fit <c>drover.shutdown</c>: the ready delay runs
    /// in <c>before-service-unbind</c> and the drain in <c>service-unbind</c>, and a phase that times
    /// out moves on, which would cut either short. A longer timeout set in the file stays.
    /// </summary>
    internal static Config ShutdownPhases(ShutdownConfig shutdown, Config config)
    {
        var margin = TimeSpan.FromSeconds(5);
        var lines = new List<string>();
        foreach (var (key, needed) in new[] { (BeforeUnbindTimeout, shutdown.ReadyDelay + margin), (UnbindTimeout, shutdown.DrainTimeout + margin) })
        {
            var current = config.HasPath(key) ? config.GetTimeSpan(key, null, allowInfinite: false) : TimeSpan.Zero;
            if (current < needed) lines.Add($"{key} = {(long)needed.TotalMilliseconds}ms");
        }
        return lines.Count == 0 ? Config.Empty : ConfigurationFactory.ParseString(string.Join("\n", lines));
    }

    public static string? FindDefaultFile()
    {
        foreach (var candidate in new[] { Path.Combine(Directory.GetCurrentDirectory(), DefaultFileName), Path.Combine(AppContext.BaseDirectory, DefaultFileName) })
            if (File.Exists(candidate)) return candidate;
        return null;
    }

    private static Config EnvironmentOverrides(IDictionary environment)
    {
        var values = new Dictionary<string, string?>();
        foreach (DictionaryEntry entry in environment)
        {
            var key = entry.Key.ToString()!;
            if (key.StartsWith("AKKA__", StringComparison.OrdinalIgnoreCase) || key.StartsWith("DROVER__", StringComparison.OrdinalIgnoreCase))
                values[key.Replace("__", ":")] = entry.Value?.ToString();
        }
        if (values.Count == 0) return Config.Empty;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var result = Config.Empty;
        foreach (var section in new[] { "akka", "drover" })
        {
            var s = configuration.GetSection(section);
            if (s.Exists()) result = s.ToHocon().WithFallback(result);
        }
        return result;
    }

    /// <summary>
    /// The scheme of member addresses: <c>akka.tcp</c>, or with transport adapters (the throttler that
    /// drills use) their names in front, e.g. <c>akka.trttl.tcp</c>; a <c>host:port</c> seed gets it.
    /// </summary>
    internal static string AddressScheme(Config config)
    {
        const string key = "akka.remote.dot-netty.tcp.applied-adapters";
        var adapters = config.HasPath(key) ? config.GetStringList(key).Select(a => a.Trim()).Where(a => a.Length > 0).ToList() : [];
        // Each adapter wraps the transport before it, so the last one applied is outermost.
        adapters.Reverse();
        return string.Join(".", ["akka", .. adapters, "tcp"]);
    }

    private static Config ClusterOverrides(IDictionary environment, string scheme)
    {
        string? Get(string name) => environment[name]?.ToString() is { Length: > 0 } v ? v.Trim() : null;
        var lines = new List<string>();
        if (Get("CLUSTER_IP") is { } ip)
            lines.Add($"akka.remote.dot-netty.tcp.hostname = \"{ip}\"");
        if (Get("CLUSTER_PORT") is { } port)
        {
            if (!int.TryParse(port, out var p) || p is < 0 or > 65535)
                throw new ConfigException("CLUSTER_PORT", $"'{port}' is not a port number");
            lines.Add($"akka.remote.dot-netty.tcp.port = {p}");
        }
        if (Get("CLUSTER_SEEDS") is { } seeds)
        {
            var list = seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(s => s.Contains("://") ? s : $"{scheme}://drover@{s}")
                .Select(s => $"\"{s}\"");
            lines.Add($"akka.cluster.seed-nodes = [{string.Join(", ", list)}]");
        }
        if (Get("CLUSTER_ROLES") is { } roles)
        {
            var list = roles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(r => $"\"{r}\"");
            lines.Add($"akka.cluster.roles = [{string.Join(", ", list)}]");
        }
        return lines.Count == 0 ? Config.Empty : ConfigurationFactory.ParseString(string.Join("\n", lines));
    }
}
