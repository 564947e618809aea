using System.Text.RegularExpressions;
using Drover.Core.Configuration;
using Drover.Node.Configuration;
using Drover.Node.Hosting;

namespace Drover.Node.Tests.Deployment;

/// <summary>
/// No Docker engine runs here, so docker/docker-compose.yml is kept honest by reading it as Compose
/// would and handing each node's environment to the node's own config loader with the image's
/// config file: seeds point at node services, ports published are ports the node binds, the command
/// host beyond loopback has a token, the stop grace period covers a graceful leave.
/// </summary>
public sealed partial class ComposeFileTests
{
    private const string ComposePath = "docker/docker-compose.yml";
    private const string NodeConfigPath = "docker/drover.hocon";
    private const string Token = "token-from-docker-env";

    private static readonly Dictionary<object, object> Compose = Yaml.Load(RepoFiles.Read(ComposePath));
    private static readonly Dictionary<object, object> Services = Yaml.Map(Compose, "services");

    private static bool IsBackend(string service) =>
        Yaml.Find(Services, $"{service}.command") is List<object> command && command.FirstOrDefault() as string == "demo-backend";

    private static List<string> NodeServices => Services.Keys.Select(k => k.ToString()!).Where(s => !IsBackend(s)).Order().ToList();
    private static List<string> BackendServices => Services.Keys.Select(k => k.ToString()!).Where(IsBackend).Order().ToList();

    /// <summary>The service's environment after Compose's interpolation, with the token docker/.env would give.</summary>
    private static Dictionary<string, string> Environment(string service) =>
        Yaml.StringMap(Services, $"{service}.environment").ToDictionary(kv => kv.Key, kv => Interpolate(kv.Value, new() { ["DROVER_CMD_TOKEN"] = Token }));

    /// <summary>The node's configuration exactly as it would load inside the container.</summary>
    private static NodeConfiguration Load(string service)
    {
        var file = HoconText.Parse(RepoFiles.Read(NodeConfigPath), NodeConfigPath);
        var environment = new System.Collections.Hashtable();
        foreach (var (key, value) in Environment(service)) environment[key] = value;
        return ConfigLoader.FromHocon(file, NodeConfigPath, environment);
    }

    [Fact]
    public void Three_nodes_and_three_backends_share_one_private_network()
    {
        Assert.Equal(["lb1", "lb2", "lb3"], NodeServices);
        Assert.Equal(["b1", "b2", "b3"], BackendServices);
        var networks = Yaml.Map(Compose, "networks").Keys.Select(k => k.ToString()!).ToList();
        var network = Assert.Single(networks);
        foreach (var service in Services.Keys.Select(k => k.ToString()!))
        {
            Assert.Equal([network], Yaml.Strings(Services, $"{service}.networks"));
            // docker exec lb1 ... needs the container to be called by the service's name.
            Assert.Equal(service, Yaml.String(Services, $"{service}.container_name"));
            Assert.Equal(service, Yaml.String(Services, $"{service}.hostname"));
        }
    }

    [Fact]
    public void Every_node_loads_its_configuration_from_the_image_file_and_its_environment()
    {
        foreach (var service in NodeServices)
        {
            var ex = Record.Exception(() => Load(service));
            Assert.True(ex is null, $"{service}: the node would not start: {ex?.Message}");
        }
    }

    [Fact]
    public void Cluster_variables_name_the_service_itself_and_seeds_that_are_node_services()
    {
        var seedLists = new HashSet<string>();
        foreach (var service in NodeServices)
        {
            var env = Environment(service);
            var config = Load(service).Hocon;
            Assert.Equal(service, env["CLUSTER_IP"]);
            Assert.Equal(service, config.GetString("akka.remote.dot-netty.tcp.hostname"));
            Assert.True(int.TryParse(env["CLUSTER_PORT"], out var port) && port is > 0 and < 65536, $"{service}: CLUSTER_PORT '{env["CLUSTER_PORT"]}'");
            Assert.NotEmpty(config.GetStringList("akka.cluster.roles"));
            Assert.Equal(env["CLUSTER_ROLES"].Split(',').Select(r => r.Trim()), config.GetStringList("akka.cluster.roles"));

            var seeds = config.GetStringList("akka.cluster.seed-nodes");
            seedLists.Add(string.Join(",", seeds));
            var seedServices = new List<string>();
            foreach (var seed in seeds)
            {
                var match = SeedPattern().Match(seed);
                Assert.True(match.Success, $"{service}: seed '{seed}' is not akka.tcp://drover@HOST:PORT");
                var host = match.Groups["host"].Value;
                Assert.Contains(host, NodeServices);
                Assert.Equal(Environment(host)["CLUSTER_PORT"], match.Groups["port"].Value);
                seedServices.Add(host);
            }
            // Every node lists every node: a restarted first seed joins the others instead of forming a cluster of its own.
            Assert.Equal(NodeServices, seedServices.Order());
        }
        Assert.Single(seedLists);
    }

    [Fact]
    public void Published_ports_are_ports_the_node_binds_distinct_on_the_host_and_admin_ports_only_on_loopback()
    {
        var hostPorts = new List<string>();
        foreach (var service in NodeServices)
        {
            var config = Load(service);
            var bound = config.Drover.Listeners.ToDictionary(l => l.Bind.Port, l => $"listener {l.Name}");
            bound[config.Drover.Cmd.Bind.Port] = "command host";
            Assert.True(config.Drover.Admin.Enabled, $"{service}: the admin endpoint is off");
            bound[config.Drover.Admin.Bind.Port] = "admin endpoint";
            var remoting = config.Hocon.GetInt("akka.remote.dot-netty.tcp.port");

            foreach (var mapping in Yaml.Strings(Services, $"{service}.ports"))
            {
                var parts = mapping.Split(':');
                var containerPort = int.Parse(parts[^1]);
                Assert.True(bound.ContainsKey(containerPort), $"{service}: publishes {containerPort}, which the node does not bind (binds: {string.Join(", ", bound.Keys)})");
                Assert.NotEqual(remoting, containerPort); // cluster traffic stays on the private network
                var hostIp = parts.Length == 3 ? parts[0] : "0.0.0.0";
                if (bound[containerPort] is "command host" or "admin endpoint")
                    Assert.True(hostIp == "127.0.0.1", $"{service}: the {bound[containerPort]} is published on {hostIp}, not only on the host's loopback");
                hostPorts.Add($"{(parts.Length == 3 ? parts[0] : "*")}:{parts[^2]}");
            }
        }
        var hostPortNumbers = hostPorts.Select(p => p.Split(':')[1]).ToList();
        Assert.Equal(hostPortNumbers.Count, hostPortNumbers.Distinct().Count());
    }

    [Fact]
    public void The_command_host_beyond_loopback_has_a_token_that_the_cli_in_the_container_also_has()
    {
        foreach (var service in NodeServices)
        {
            var cmd = Load(service).Drover.Cmd;
            Assert.True(cmd.Enabled);
            Assert.True(cmd.Bind.IsAnyAddress, $"{service}: drover.cmd.bind is {cmd.Bind}; 0.0.0.0 lets other containers reach it");
            Assert.False(cmd.IsLoopback);
            Assert.Equal(Token, cmd.Token);
            // docker exec lbN drover ... reads DROVER_CMD_TOKEN.
            Assert.Equal(Token, Environment(service)["DROVER_CMD_TOKEN"]);
            // Without docker/.env, compose must refuse to start rather than run with an empty token.
            var raw = Yaml.StringMap(Services, $"{service}.environment");
            Assert.Matches(@"^\$\{DROVER_CMD_TOKEN:\?.+\}$", raw["DROVER__CMD__TOKEN"]);
            Assert.Throws<InvalidOperationException>(() => Interpolate(raw["DROVER__CMD__TOKEN"], new()));
            // The admin endpoint has no token: published on the host's loopback only (checked above),
            // bound to every address in the container so that a health check from outside reaches it.
            Assert.True(Load(service).Drover.Admin.Bind.IsAnyAddress, $"{service}: drover.admin.bind is not 0.0.0.0");
        }
    }

    [Fact]
    public void The_pool_backends_are_the_backend_services_with_their_ids_and_ports()
    {
        var pools = Load(NodeServices[0]).Drover.Pools;
        Assert.NotEmpty(pools);
        foreach (var pool in pools)
            Assert.Equal(BackendServices, pool.Backends.Select(b => b.Id).Order());
        foreach (var backend in pools.SelectMany(p => p.Backends))
        {
            var command = Yaml.Strings(Services, $"{backend.Id}.command");
            Assert.Equal("demo-backend", command[0]);
            var bind = command[command.IndexOf("--bind") + 1];
            var id = command[command.IndexOf("--id") + 1];
            Assert.Equal(backend.Id, id);
            Assert.Equal($"{backend.Id}:{bind.Split(':')[1]}", backend.Address.ToString());
            Assert.Equal("0.0.0.0", bind.Split(':')[0]);
        }
    }

    [Fact]
    public void Nodes_restart_on_failure_and_get_time_for_a_graceful_leave()
    {
        foreach (var service in NodeServices)
        {
            var config = Load(service);
            Assert.Equal("on-failure", Yaml.String(Services, $"{service}.restart"));
            // SIGTERM runs CoordinatedShutdown: listeners drain in service-unbind, then the node
            // leaves and hands its shards over; Docker must not SIGKILL it before that is done.
            var unbind = config.Hocon.GetTimeSpan("akka.coordinated-shutdown.phases.service-unbind.timeout");
            var grace = ParseDuration(Yaml.String(Services, $"{service}.stop_grace_period"));
            Assert.True(grace >= config.ReadyDelay + unbind + TimeSpan.FromSeconds(10),
                $"{service}: stop_grace_period {grace.TotalSeconds}s is shorter than the ready delay ({config.ReadyDelay.TotalSeconds}s), service-unbind ({unbind.TotalSeconds}s) and 10s to leave");
        }
        foreach (var service in BackendServices)
            Assert.Equal("on-failure", Yaml.String(Services, $"{service}.restart"));
    }

    [Fact]
    public void The_dockerfile_builds_with_the_sdk_runs_on_aspnet_as_a_non_root_user_with_the_cli_on_path()
    {
        var lines = RepoFiles.Read("docker/Dockerfile").Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0 && !l.StartsWith('#')).ToList();
        var froms = lines.Where(l => l.StartsWith("FROM ")).ToList();
        Assert.Equal(2, froms.Count);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build", froms[0]);
        Assert.StartsWith("FROM mcr.microsoft.com/dotnet/aspnet:10.0", froms[1]);
        var runtime = lines.SkipWhile(l => l != froms[1]).ToList();
        var user = runtime.Last(l => l.StartsWith("USER ")).Split(' ')[1];
        Assert.DoesNotContain(user, new[] { "root", "0" });
        Assert.Contains(runtime, l => l.Contains("/usr/local/bin/drover"));
        Assert.Contains(runtime, l => l.StartsWith("COPY") && l.EndsWith($"{NodeConfigPath} /app/drover.hocon"));
        Assert.Contains("ENTRYPOINT [\"/app/node/Drover.Node\"]", runtime);
        Assert.Contains("CMD [\"--config\", \"/app/drover.hocon\"]", runtime);
        // The compose file builds this Dockerfile from the repository root.
        foreach (var service in NodeServices)
        {
            Assert.Equal("..", Yaml.String(Services, $"{service}.build.context"));
            Assert.Equal("docker/Dockerfile", Yaml.String(Services, $"{service}.build.dockerfile"));
        }
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("${A}", "a")]
    [InlineData("x${MISSING:-def}y", "xdefy")]
    [InlineData("$${A}", "${A}")]
    public void Interpolation_follows_compose(string value, string expected) =>
        Assert.Equal(expected, Interpolate(value, new() { ["A"] = "a" }));

    /// <summary>Compose's variable syntax: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, ${VAR?error}, $$.</summary>
    private static string Interpolate(string value, Dictionary<string, string> variables) =>
        VariablePattern().Replace(value, m =>
        {
            if (m.Value == "$$") return "$";
            var name = m.Groups["name"].Value;
            var set = variables.TryGetValue(name, out var v);
            var empty = !set || v!.Length == 0;
            return m.Groups["op"].Value switch
            {
                ":-" => empty ? m.Groups["arg"].Value : v!,
                "-" => set ? v! : m.Groups["arg"].Value,
                ":?" => empty ? throw new InvalidOperationException($"{name}: {m.Groups["arg"].Value}") : v!,
                "?" => set ? v! : throw new InvalidOperationException($"{name}: {m.Groups["arg"].Value}"),
                _ => v ?? "",
            };
        });

    private static TimeSpan ParseDuration(string text)
    {
        var match = Regex.Match(text, @"^(?:(\d+)m)?(?:(\d+)s)?$");
        Assert.True(match.Success && text.Length > 0, $"'{text}' is not a duration like 45s or 1m30s");
        return TimeSpan.FromMinutes(match.Groups[1].Success ? int.Parse(match.Groups[1].Value) : 0)
               + TimeSpan.FromSeconds(match.Groups[2].Success ? int.Parse(match.Groups[2].Value) : 0);
    }

    [GeneratedRegex(@"\$\$|\$\{(?<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?<op>:-|-|:\?|\?)(?<arg>[^}]*))?\}")]
    private static partial Regex VariablePattern();

    [GeneratedRegex(@"^akka\.tcp://drover@(?<host>[^:]+):(?<port>\d+)$")]
    private static partial Regex SeedPattern();
}
