namespace Messaging.Engine.Cluster;

/// <summary>How nodes sharing one database find each other. Section <c>Engine:Cluster</c>.</summary>
public sealed class ClusterOptions
{
    public const string SectionName = "Engine:Cluster";

    /// <summary>This node's name in the <c>nodes</c> table; default host name, process id and a random suffix.</summary>
    public string? NodeId { get; set; }

    /// <summary>How often a node writes its heartbeat and counts the live nodes. Default 2 s.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A node whose heartbeat is older than this is gone (killed, partitioned). Default 10 s.</summary>
    public TimeSpan NodeTimeout { get; set; } = TimeSpan.FromSeconds(10);

    internal IEnumerable<string> Validate()
    {
        if (HeartbeatInterval <= TimeSpan.Zero || NodeTimeout < HeartbeatInterval * 3)
        {
            yield return $"{SectionName}: HeartbeatInterval must be positive and NodeTimeout at least three heartbeats.";
        }
    }
}
