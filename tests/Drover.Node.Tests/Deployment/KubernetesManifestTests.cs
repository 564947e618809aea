using System.Text.RegularExpressions;
using Drover.Node.Configuration;
using Drover.Node.Hosting;

namespace Drover.Node.Tests.Deployment;

/// <summary>
/// ops/k8s/drover.yaml against the node: the ConfigMap's config with the pod's environment loads;
/// container ports, probes and the preStop hook use the ports the node binds; seeds are the
/// StatefulSet's own pods through the headless Service; the grace period covers a graceful stop.
/// </summary>
public sealed partial class KubernetesManifestTests
{
    private const string ManifestPath = "ops/k8s/drover.yaml";
    private const string Namespace = "prod";

    private static readonly List<Dictionary<object, object>> Documents = Yaml.LoadAll(RepoFiles.Read(ManifestPath));

    private static Dictionary<object, object> Find(string kind, string name) =>
        Documents.SingleOrDefault(d => Yaml.Find(d, "kind") as string == kind && Yaml.Find(d, "metadata.name") as string == name)
        ?? throw new Xunit.Sdk.XunitException($"{ManifestPath}: no {kind} named {name}");

    private static Dictionary<object, object> StatefulSet => Find("StatefulSet", "drover");
    private static object Container => Yaml.List(StatefulSet, "spec.template.spec.containers")[0];

    /// <summary>The container's environment for pod <paramref name="pod"/>, with $(VAR) references expanded as the kubelet does.</summary>
    private static Dictionary<string, string> Environment(string pod)
    {
        var env = new Dictionary<string, string>();
        foreach (var entry in Yaml.List(Container, "env"))
        {
            var name = Yaml.String(entry, "name");
            string value;
            if (Yaml.Find(entry, "value") is string literal) value = literal;
            else if (Yaml.Find(entry, "valueFrom.fieldRef.fieldPath") is string field)
                value = field switch { "metadata.name" => pod, "metadata.namespace" => Namespace, _ => throw new Xunit.Sdk.XunitException($"unexpected fieldRef {field}") };
            else if (Yaml.Find(entry, "valueFrom.secretKeyRef.name") is string) value = "a-cluster-secret-of-32-characters";
            else throw new Xunit.Sdk.XunitException($"env {name}: no value");
            env[name] = Regex.Replace(value, @"\$\((\w+)\)", m => env.TryGetValue(m.Groups[1].Value, out var v) ? v : m.Value);
        }
        return env;
    }

    private static NodeConfiguration Load(string pod)
    {
        var text = (string)Yaml.Map(Find("ConfigMap", "drover-config"), "data")["drover.hocon"]; // a key with a dot
        var args = Yaml.Strings(Container, "args");
        Assert.Equal(["--config", "/etc/drover/drover.hocon"], args);
        var environment = new System.Collections.Hashtable();
        foreach (var (key, value) in Environment(pod)) environment[key] = value;
        return ConfigLoader.FromHocon(HoconText.Parse(text, "drover-config"), "drover-config", environment);
    }

    private static int NamedPort(string name) =>
        Yaml.List(Container, "ports").Where(p => Yaml.Find(p, "name") as string == name).Select(p => int.Parse(Yaml.String(p, "containerPort"))).Single();

    private static int Replicas => int.Parse(Yaml.String(StatefulSet, "spec.replicas"));

    [Fact]
    public void Every_pod_loads_the_config_map_with_its_environment()
    {
        for (var i = 0; i < Replicas; i++)
        {
            var ex = Record.Exception(() => Load($"drover-{i}"));
            Assert.True(ex is null, $"drover-{i} would not start: {ex?.Message}");
        }
    }

    [Fact]
    public void Seeds_are_the_stateful_set_pods_through_the_headless_service_at_the_remoting_port()
    {
        var headless = Find("Service", Yaml.String(StatefulSet, "spec.serviceName"));
        Assert.Equal("None", Yaml.String(headless, "spec.clusterIP"));
        // A pod must resolve its seeds (itself included) before it can become ready.
        Assert.Equal("true", Yaml.String(headless, "spec.publishNotReadyAddresses").ToLowerInvariant());

        var config = Load("drover-1");
        var remoting = config.Hocon.GetInt("akka.remote.dot-netty.tcp.port");
        Assert.Equal(remoting, NamedPort("remoting"));
        Assert.Equal($"drover-1.drover.{Namespace}.svc.cluster.local", config.Hocon.GetString("akka.remote.dot-netty.tcp.public-hostname"));
        var expected = Enumerable.Range(0, Replicas).Select(i => $"akka.tcp://drover@drover-{i}.drover.{Namespace}.svc.cluster.local:{remoting}");
        Assert.Equal(expected, config.Hocon.GetStringList("akka.cluster.seed-nodes"));
        Assert.Contains(Yaml.List(headless, "spec.ports"), p => Yaml.Find(p, "targetPort") as string == "remoting");
    }

    [Fact]
    public void Probes_hit_the_admin_endpoint_and_container_ports_are_ports_the_node_binds()
    {
        var config = Load("drover-0");
        Assert.True(config.Drover.Admin.Enabled);
        Assert.True(config.Drover.Admin.Bind.IsAnyAddress, "the kubelet probes the pod's address: drover.admin.bind must be 0.0.0.0");
        Assert.Equal(config.Drover.Admin.Bind.Port, NamedPort("admin"));
        Assert.Equal("/readyz", Yaml.String(Container, "readinessProbe.httpGet.path"));
        Assert.Equal("admin", Yaml.String(Container, "readinessProbe.httpGet.port"));
        Assert.Equal("/healthz", Yaml.String(Container, "livenessProbe.httpGet.path"));
        Assert.Equal("admin", Yaml.String(Container, "livenessProbe.httpGet.port"));

        var web = config.Drover.Listeners.Single(l => l.Name == "web");
        Assert.True(web.Bind.IsAnyAddress);
        Assert.Equal(web.Bind.Port, NamedPort("http"));
        var clients = Find("Service", "drover-lb");
        Assert.Equal("http", Yaml.String(clients, "spec.ports.0.targetPort"));
    }

    [Fact]
    public void PreStop_leaves_through_the_command_host_and_the_grace_period_covers_the_drain()
    {
        var config = Load("drover-0");
        var command = string.Join(" ", Yaml.Strings(Container, "lifecycle.preStop.exec.command"));
        Assert.Contains($"drover {config.Drover.Cmd.Bind} cluster leave", command);
        // Loopback: no token to hand to the hook.
        Assert.True(config.Drover.Cmd.IsLoopback);
        Assert.False(config.Drover.Cmd.RequiresToken);

        var sleep = Regex.Match(command, @"sleep (\d+)") is { Success: true } m ? int.Parse(m.Groups[1].Value) : 0;
        // The pause comes first: a leave starts the node's shutdown, which closes the listeners a
        // ready delay later, and kube-proxy must have dropped the pod by then.
        Assert.True(command.IndexOf("sleep", StringComparison.Ordinal) < command.IndexOf("cluster leave", StringComparison.Ordinal),
            $"preStop must pause before it leaves: {command}");
        var unbind = config.Hocon.GetTimeSpan("akka.coordinated-shutdown.phases.service-unbind.timeout");
        var grace = TimeSpan.FromSeconds(int.Parse(Yaml.String(StatefulSet, "spec.template.spec.terminationGracePeriodSeconds")));
        Assert.True(grace >= TimeSpan.FromSeconds(sleep) + config.ReadyDelay + unbind + TimeSpan.FromSeconds(10),
            $"terminationGracePeriodSeconds {grace.TotalSeconds} < preStop sleep {sleep}s + ready delay {config.ReadyDelay.TotalSeconds}s + service-unbind {unbind.TotalSeconds}s + 10s to leave");
    }

    [Fact]
    public void Disruptions_take_at_most_one_pod_so_a_majority_stays()
    {
        var budget = Find("PodDisruptionBudget", "drover");
        var maxUnavailable = int.Parse(Yaml.String(budget, "spec.maxUnavailable"));
        Assert.True(Replicas - maxUnavailable > Replicas / 2, $"{maxUnavailable} of {Replicas} pods unavailable leaves no majority");
        Assert.Equal(1, Replicas % 2); // an odd member count: keep-majority never faces a tie
    }
}
