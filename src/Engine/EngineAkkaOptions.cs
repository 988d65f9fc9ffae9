using Messaging.Engine.Membership;

namespace Messaging.Engine;

/// <summary>Where the engine finds Akka's settings. Section <c>Engine:Akka</c>; the settings themselves are HOCON.</summary>
public sealed class EngineAkkaOptions
{
    public const string SectionName = "Engine:Akka";

    /// <summary>The actor system's name; every node of a cluster must use the same one.</summary>
    public string SystemName { get; set; } = "engine";

    /// <summary>
    /// The HOCON file operators tune; relative paths are under the folder of the binary. When it is missing, the copy
    /// built into the engine is used.
    /// </summary>
    public string ConfigFile { get; set; } = "config/akka.hocon";

    /// <summary>
    /// Seed nodes (the default; none listed: a one-node cluster, as the README runs it) or Cluster Bootstrap, which
    /// also has the host listen on the management port (<c>akka.management.http</c>) for the other nodes' probes.
    /// </summary>
    public ClusterFormationMode Formation { get; set; } = ClusterFormationMode.SeedNodes;
}
