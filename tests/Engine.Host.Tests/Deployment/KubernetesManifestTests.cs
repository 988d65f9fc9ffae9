using System.Globalization;
using Akka.Configuration;
using Messaging.Engine.Membership;
using Messaging.Testing;
using YamlDotNet.RepresentationModel;

namespace Messaging.Host.Tests.Deployment;

/// <summary>
/// <c>deploy/kubernetes/engine.yaml</c>, read as YAML (no cluster runs it here): what Cluster Bootstrap with the
/// kubernetes-api discovery needs agrees with <c>config/akka.hocon</c> and with the engine's settings.
/// </summary>
public sealed class KubernetesManifestTests
{
    private readonly IReadOnlyList<YamlMappingNode> _documents = Load(RepositoryLayout.PathOf("deploy", "kubernetes", "engine.yaml"));
    private readonly Config _akka = ConfigurationFactory.ParseString(File.ReadAllText(RepositoryLayout.PathOf("config", "akka.hocon")));

    [Fact]
    public void The_pods_carry_the_label_kubernetes_api_discovery_selects_by()
    {
        var deployment = Single("Deployment");
        var serviceName = _akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.service-name");
        var selector = string.Format(CultureInfo.InvariantCulture, _akka.GetString("akka.discovery.kubernetes-api.pod-label-selector"), serviceName);
        var (label, value) = (selector.Split('=')[0], selector.Split('=')[1]);

        Assert.Equal(value, Scalar(deployment, "spec", "template", "metadata", "labels", label));
        Assert.Equal(value, Scalar(deployment, "spec", "selector", "matchLabels", label));
    }

    [Fact]
    public void The_container_exposes_the_management_and_remoting_ports_the_engine_binds()
    {
        var container = Container();
        var ports = Sequence(container, "ports").Cast<YamlMappingNode>()
            .ToDictionary(p => Scalar(p, "name"), p => int.Parse(Scalar(p, "containerPort"), CultureInfo.InvariantCulture));
        var environment = Variables(container);

        // Management: the shipped port (not overridden here), under the port name bootstrap probes.
        Assert.DoesNotContain("AKKA__MANAGEMENT__HTTP__PORT", environment.Keys);
        var portName = _akka.GetString("akka.management.cluster.bootstrap.contact-point-discovery.port-name");
        var management = Assert.Single(ports, p => p.Key.Contains(portName, StringComparison.Ordinal));
        Assert.Equal(_akka.GetInt("akka.management.http.port"), management.Value);

        // Remoting: the shipped port is 0 (any), so the manifest fixes one and exposes that one.
        Assert.Equal(0, _akka.GetInt("akka.remote.dot-netty.tcp.port"));
        Assert.Equal(int.Parse(environment["AKKA__REMOTE__DOT_NETTY__TCP__PORT"], CultureInfo.InvariantCulture), ports["remoting"]);
        Assert.Equal("0.0.0.0", environment["AKKA__REMOTE__DOT_NETTY__TCP__HOSTNAME"]);
        Assert.Equal("$(POD_IP)", environment["AKKA__REMOTE__DOT_NETTY__TCP__PUBLIC_HOSTNAME"]);
        Assert.Equal("$(POD_IP)", environment["AKKA__MANAGEMENT__HTTP__HOSTNAME"]);

        // Probes on the engine's health endpoints, on its HTTP port.
        Assert.Equal("/health/live", Scalar(container, "livenessProbe", "httpGet", "path"));
        Assert.Equal("/health/ready", Scalar(container, "readinessProbe", "httpGet", "path"));
        Assert.Contains(Scalar(container, "readinessProbe", "httpGet", "port"), ports.Keys);
        Assert.Equal("true", environment["Host__Auth__AnonymousReadiness"]);
    }

    [Fact]
    public void The_pods_bootstrap_through_the_Kubernetes_API_with_no_seed_nodes()
    {
        var environment = Variables(Container());

        Assert.Equal(ClusterFormationMode.Bootstrap, Enum.Parse<ClusterFormationMode>(environment["Engine__Akka__Formation"]));
        Assert.Equal("kubernetes-api", environment["AKKA__MANAGEMENT__CLUSTER__BOOTSTRAP__CONTACT_POINT_DISCOVERY__DISCOVERY_METHOD"]);
        Assert.Equal(Scalar(Single("Deployment"), "spec", "replicas"),
            environment["AKKA__MANAGEMENT__CLUSTER__BOOTSTRAP__CONTACT_POINT_DISCOVERY__REQUIRED_CONTACT_POINT_NR"]);
        Assert.DoesNotContain(environment.Keys, k => k.StartsWith("AKKA__CLUSTER__SEED_NODES", StringComparison.Ordinal));
        Assert.Empty(_akka.GetStringList("akka.cluster.seed-nodes"));
    }

    [Fact]
    public void The_service_account_may_get_watch_and_list_pods_and_no_more()
    {
        var account = Scalar(Single("ServiceAccount"), "metadata", "name");
        var role = Single("Role");
        var binding = Single("RoleBinding");

        Assert.Equal(account, Scalar(Single("Deployment"), "spec", "template", "spec", "serviceAccountName"));
        var subject = Assert.IsType<YamlMappingNode>(Assert.Single(Sequence(binding, "subjects")));
        Assert.Equal(("ServiceAccount", account), (Scalar(subject, "kind"), Scalar(subject, "name")));
        Assert.Equal(("Role", Scalar(role, "metadata", "name")), (Scalar(binding, "roleRef", "kind"), Scalar(binding, "roleRef", "name")));
        var rule = Assert.IsType<YamlMappingNode>(Assert.Single(Sequence(role, "rules")));
        Assert.Equal(["pods"], Sequence(rule, "resources").Select(Text));
        Assert.Equal(["get", "list", "watch"], Sequence(rule, "verbs").Select(Text).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_engine_gets_its_queues_its_database_from_a_secret_and_resource_limits()
    {
        var container = Container();
        var environment = Variables(container);

        Assert.Equal("Postgres", environment["Engine__Persistence__Provider"]);
        var connection = Assert.Single(Sequence(container, "env").Cast<YamlMappingNode>(),
            e => Scalar(e, "name") == "Engine__Persistence__PostgresConnectionString");
        Assert.NotEmpty(Scalar(connection, "valueFrom", "secretKeyRef", "name"));
        foreach (var key in new[] { "Engine__Aws__Region", "Engine__Ingest__RequestQueues__0__Name", "Engine__Ingest__DeadLetterQueue",
                     "Engine__Ingest__FeedbackQueue", "Engine__Sending__DefaultEmailFrom" })
        {
            Assert.NotEmpty(environment[key]);
        }

        Assert.NotEmpty(Scalar(container, "resources", "limits", "memory"));
        Assert.NotEmpty(Scalar(container, "resources", "limits", "cpu"));
    }

    private YamlMappingNode Single(string kind) => Assert.Single(_documents, d => Scalar(d, "kind") == kind);

    private YamlMappingNode Container() =>
        Assert.IsType<YamlMappingNode>(Assert.Single(Sequence(Single("Deployment"), "spec", "template", "spec", "containers")));

    /// <summary>The container's variables given as plain values (those from a field or a secret are left out).</summary>
    private static Dictionary<string, string> Variables(YamlMappingNode container) =>
        Sequence(container, "env").Cast<YamlMappingNode>()
            .Where(e => e.Children.ContainsKey(new YamlScalarNode("value")))
            .ToDictionary(e => Scalar(e, "name"), e => Scalar(e, "value"), StringComparer.Ordinal);

    private static IReadOnlyList<YamlMappingNode> Load(string path)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(path))
        {
            stream.Load(reader);
        }

        return [.. stream.Documents.Select(d => Assert.IsType<YamlMappingNode>(d.RootNode))];
    }

    private static YamlNode Node(YamlMappingNode node, params string[] path)
    {
        YamlNode current = node;
        foreach (var key in path)
        {
            var mapping = Assert.IsType<YamlMappingNode>(current);
            Assert.True(mapping.Children.TryGetValue(new YamlScalarNode(key), out var next), $"no '{key}' in {string.Join('.', path)}");
            current = next!;
        }

        return current;
    }

    private static string Scalar(YamlMappingNode node, params string[] path) => Text(Node(node, path));

    private static IEnumerable<YamlNode> Sequence(YamlMappingNode node, params string[] path) => Assert.IsType<YamlSequenceNode>(Node(node, path)).Children;

    private static string Text(YamlNode node) => Assert.IsType<YamlScalarNode>(node).Value ?? "";
}
