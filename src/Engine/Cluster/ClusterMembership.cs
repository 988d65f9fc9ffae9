using System.Globalization;
using Messaging.Engine.Persistence.Sql;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static Messaging.Engine.Persistence.Sql.SqlCommands;

namespace Messaging.Engine.Cluster;

/// <summary>
/// This node's membership of the cluster (every node on one database): a heartbeat row in <c>nodes</c>, written every
/// <see cref="ClusterOptions.HeartbeatInterval"/>; the nodes whose heartbeat is younger than
/// <see cref="ClusterOptions.NodeTimeout"/> are live, and each takes account rate ÷ live nodes of every send rate and
/// writes the count it divides by beside its heartbeat. A joining node takes no requests until every other live node
/// reports the new count (it has lowered its share), however late a busy machine runs their heartbeats; a node that
/// leaves deletes its row, and one that dies drops out after the timeout — until then the others stay at the lower
/// share, which can only undershoot the account rate.
/// </summary>
public sealed partial class ClusterMembership : IHostedService
{
    private readonly SqlJournal _journal;
    private readonly SendThrottles _throttles;
    private readonly ClusterOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ClusterMembership> _logger;
    private BackgroundLoop? _loop;

    internal ClusterMembership(SqlJournal journal, SendThrottles throttles, IOptions<ClusterOptions> options, TimeProvider timeProvider, ILogger<ClusterMembership> logger)
    {
        _journal = journal;
        _throttles = throttles;
        _options = options.Value;
        _time = timeProvider;
        _logger = logger;
        // An empty setting (JSON null in config/engine.json) counts as none: two nodes must never share a name.
        NodeId = string.IsNullOrWhiteSpace(_options.NodeId)
            ? $"{Environment.MachineName}-{Environment.ProcessId}-{Guid.NewGuid().ToString("N")[..6]}"
            : _options.NodeId;
    }

    public string NodeId { get; }

    /// <summary>Live nodes, this one included, as of the last heartbeat.</summary>
    public int LiveNodes => _throttles.Nodes;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var live = await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
        var waitedSince = _time.GetTimestamp();
        while (live > 1)
        {
            // Every other node must divide by the new count before this one sends anything. One that never does
            // within the node timeout (an older version that does not report it) is waited for no longer.
            var behind = await NodesBehindAsync(live, cancellationToken).ConfigureAwait(false);
            if (behind.Count == 0)
            {
                break;
            }

            if (_time.GetElapsedTime(waitedSince) > _options.NodeTimeout)
            {
                LogJoinedUnacknowledged(NodeId, string.Join(", ", behind));
                break;
            }

            await Task.Delay(_options.HeartbeatInterval / 2, _time, cancellationToken).ConfigureAwait(false);
            live = await HeartbeatAsync(cancellationToken).ConfigureAwait(false);
        }

        LogJoined(NodeId, LiveNodes);
        _loop = new BackgroundLoop("cluster heartbeat", async stopping =>
        {
            await HeartbeatAsync(stopping).ConfigureAwait(false);
            return false;
        }, _options.HeartbeatInterval, _options.HeartbeatInterval, _time, _logger);
        _loop.Start();
    }

    /// <summary>Live nodes other than this one that still divide the rates by fewer than <paramref name="live"/>.</summary>
    private Task<List<string>> NodesBehindAsync(int live, CancellationToken cancellationToken) =>
        _journal.Dialect.RunAsync("Reading the cluster's shares", forWrite: false, async (connection, ct) =>
        {
            using var query = Command(connection, null,
                "SELECT node_id FROM nodes WHERE heartbeat_at >= @since AND node_id <> @node AND sharing_nodes < @live ORDER BY node_id");
            Bind(query, "since", (_time.GetUtcNow() - _options.NodeTimeout).ToUnixTimeMilliseconds());
            Bind(query, "node", NodeId);
            Bind(query, "live", live);
            var behind = new List<string>();
            using var reader = await query.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                behind.Add(reader.GetString(0));
            }

            return behind;
        }, cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loop, null) is not { } loop)
        {
            // Never joined, or already left (a host may be stopped twice).
            return;
        }

        await loop.DisposeAsync().ConfigureAwait(false);
        try
        {
            // The others raise their shares as soon as this row is gone: first let this node's last sends age out of
            // the 1-second window, so the account's rate holds across the hand-over.
            var wait = _throttles.QuietAt - _time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await _time.WaitRoundedUpAsync(wait, cancellationToken).ConfigureAwait(false);
            }

            // Leaving: the others raise their share at their next heartbeat instead of after the timeout.
            await _journal.Dialect.RunAsync("Leaving the cluster", forWrite: true, async (connection, ct) =>
            {
                using var delete = Command(connection, null, "DELETE FROM nodes WHERE node_id = @node");
                Bind(delete, "node", NodeId);
                return await delete.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }, cancellationToken).ConfigureAwait(false);
            LogLeft(NodeId);
        }
        catch (Persistence.JournalStorageException e)
        {
            LogLeaveFailed(e, NodeId);
        }
    }

    /// <summary>
    /// Writes this node's heartbeat, counts the live nodes, sets this node's share and reports the count it now
    /// divides by; returns the count.
    /// </summary>
    public async Task<int> HeartbeatAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        var sharing = _throttles.Nodes;
        var (live, changed) = await _journal.Dialect.RunAsync("Writing the cluster heartbeat", forWrite: true, async (connection, ct) =>
        {
            using (var beat = Command(connection, null, """
                INSERT INTO nodes (node_id, host, started_at, heartbeat_at, sharing_nodes) VALUES (@node, @host, @now, @now, @sharing)
                ON CONFLICT (node_id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at, sharing_nodes = excluded.sharing_nodes
                """))
            {
                Bind(beat, "node", NodeId);
                Bind(beat, "host", Environment.MachineName);
                Bind(beat, "now", now.ToUnixTimeMilliseconds());
                Bind(beat, "sharing", sharing);
                await beat.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            int counted;
            using (var count = Command(connection, null, "SELECT COUNT(*) FROM nodes WHERE heartbeat_at >= @since"))
            {
                Bind(count, "since", (now - _options.NodeTimeout).ToUnixTimeMilliseconds());
                counted = Math.Max(1, Convert.ToInt32(await count.ExecuteScalarAsync(ct).ConfigureAwait(false), CultureInfo.InvariantCulture));
            }

            if (counted != sharing)
            {
                // Take the new share first, then say so: a joining node waits for this before it sends.
                _throttles.SetNodes(counted);
                using var report = Command(connection, null, "UPDATE nodes SET sharing_nodes = @sharing WHERE node_id = @node");
                Bind(report, "sharing", counted);
                Bind(report, "node", NodeId);
                await report.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }

            return (counted, counted != sharing);
        }, cancellationToken).ConfigureAwait(false);

        if (changed)
        {
            LogNodesChanged(live, NodeId);
        }

        return live;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} joined the cluster: {Nodes} live node(s)")]
    private partial void LogJoined(string nodeId, int nodes);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Nodes} live node(s) now; node {NodeId} takes 1/{Nodes} of each send rate")]
    private partial void LogNodesChanged(int nodes, string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} joins although node(s) {Behind} did not report taking the lower share within the node timeout")]
    private partial void LogJoinedUnacknowledged(string nodeId, string behind);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {NodeId} left the cluster; the others take its share at their next heartbeat")]
    private partial void LogLeft(string nodeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {NodeId} could not remove itself from the cluster; it drops out after the node timeout")]
    private partial void LogLeaveFailed(Exception exception, string nodeId);
}
