using Akka.Actor;
using Akka.Cluster;
using Messaging.Engine.Throttling;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Cluster;

/// <summary>
/// This node's share of the account's send rates, following the Akka cluster's membership (<see cref="RateSharing"/>):
/// <list type="bullet">
/// <item>A member counts from the moment this node sees it join, so every node has lowered its share before a new one
/// is Up (the leader moves a member to Up only once all have seen it joining); the new node itself sends only a quiet
/// second after it is Up, when the others' last second at the higher share is over.</item>
/// <item>A member that left gracefully gave its share back before leaving (the <c>engine-rate-share-returned</c>
/// shutdown phase), so the others raise theirs when it is removed; one that was downed (killed, partitioned, stalled)
/// counts on after its removal until it must have held its sends too, if it still runs (see <see cref="_downedCountsFor"/>).</item>
/// <item>A node in the minority of a partition, or one that finds it was stalled (a long GC pause, a frozen VM) for as long
/// as the others' failure detectors tolerate, holds its sends at once — it may have been downed and counted out
/// meanwhile — until its own failure detector has had time to judge the others again. A shorter stall cannot get it
/// marked unreachable, let alone downed, and a node alone has no one to take its share: neither holds.</item>
/// </list>
/// </summary>
internal sealed partial class RateShareActor : ReceiveActor, IWithTimers
{
    /// <summary>How often the actor checks that it was not stalled.</summary>
    internal static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(200);


    private readonly SendThrottles _throttles;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Akka.Cluster.Cluster _cluster;
    private readonly TimeSpan _judgeAgainAfter;
    private readonly TimeSpan _stallAfter;

    /// <summary>
    /// How long a downed member counts after its removal. A node cut off from only some of the others (a partial
    /// partition) still sees a majority and sends at its share while the rest down it; it holds only once it has lost
    /// its last link (the removal quarantines it) and its failure detector has judged that member gone: the
    /// detector's pause, two heartbeats and a reaper round. Its last send is a window older still.
    /// </summary>
    private readonly TimeSpan _downedCountsFor;
    private readonly Dictionary<UniqueAddress, Member> _members = [];
    private readonly HashSet<UniqueAddress> _unreachable = [];
    private readonly HashSet<UniqueAddress> _quietAfterRemoval = [];
    private long _lastTick;
    private long _stalledUntil;
    private bool _quietAfterUp;
    private RateSharing _applied = new(1, null);

    public RateShareActor(SendThrottles throttles, TimeProvider time, ILogger logger)
    {
        _throttles = throttles;
        _time = time;
        _logger = logger;
        _cluster = Akka.Cluster.Cluster.Get(Context.System);
        // A tick later than the others' failure detectors tolerate silence means this node may look gone to them. After
        // such a stall its own detector needs that pause and a heartbeat or two to see who is gone.
        var acceptablePause = _cluster.Settings.FailureDetectorConfig.GetTimeSpan("acceptable-heartbeat-pause", TimeSpan.FromSeconds(5));
        _stallAfter = acceptablePause;
        _judgeAgainAfter = acceptablePause + (_cluster.Settings.HeartbeatInterval * 2);
        _downedCountsFor = _judgeAgainAfter + _cluster.Settings.UnreachableNodesReaperInterval + Throttling.SendThrottle.Window;

        Receive<ClusterEvent.IMemberEvent>(OnMember);
        Receive<ClusterEvent.UnreachableMember>(e =>
        {
            _unreachable.Add(e.Member.UniqueAddress);
            Apply();
        });
        Receive<ClusterEvent.ReachableMember>(e =>
        {
            _unreachable.Remove(e.Member.UniqueAddress);
            Apply();
        });
        Receive<QuietOver>(q =>
        {
            if (q.Member is { } removed)
            {
                _quietAfterRemoval.Remove(removed);
            }
            else
            {
                _quietAfterUp = true;
            }

            Apply();
        });
        Receive<TickNow>(_ => OnTick());
    }

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(SendThrottles throttles, TimeProvider time, ILogger logger) =>
        Akka.Actor.Props.Create(() => new RateShareActor(throttles, time, logger));

    protected override void PreStart()
    {
        // Held since RateShare.Follow.
        _applied = new RateSharing(_throttles.Nodes, "not a member of the cluster yet");
        _lastTick = _time.GetTimestamp();
        Timers.StartPeriodicTimer("tick", TickNow.Instance, Tick);
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsEvents,
            typeof(ClusterEvent.IMemberEvent), typeof(ClusterEvent.IReachabilityEvent));
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private void OnMember(ClusterEvent.IMemberEvent e)
    {
        var member = e.Member;
        if (e is ClusterEvent.MemberRemoved removed)
        {
            _members.Remove(member.UniqueAddress);
            _unreachable.Remove(member.UniqueAddress);
            if (removed.PreviousStatus != MemberStatus.Exiting && !member.UniqueAddress.Equals(_cluster.SelfUniqueAddress))
            {
                // Downed, not left: it may still be sending, unaware, if some of this side could still reach it.
                _quietAfterRemoval.Add(member.UniqueAddress);
                Timers.StartSingleTimer(("quiet", member.UniqueAddress), new QuietOver(member.UniqueAddress), _downedCountsFor);
            }
        }
        else
        {
            _members[member.UniqueAddress] = member;
            if (e is ClusterEvent.MemberUp && member.UniqueAddress.Equals(_cluster.SelfUniqueAddress))
            {
                Timers.StartSingleTimer("quiet-after-up", new QuietOver(null), Throttling.SendThrottle.Window);
            }
        }

        Apply();
    }

    private void OnTick()
    {
        var now = _time.GetTimestamp();
        if (_time.GetElapsedTime(_lastTick, now) > _stallAfter && _members.Keys.Any(m => !m.Equals(_cluster.SelfUniqueAddress)))
        {
            _stalledUntil = now + (long)(_judgeAgainAfter.TotalSeconds * _time.TimestampFrequency);
            LogStalled(_time.GetElapsedTime(_lastTick, now).TotalMilliseconds, _judgeAgainAfter.TotalSeconds);
            Apply();
        }
        else if (_stalledUntil != 0 && now >= _stalledUntil)
        {
            _stalledUntil = 0;
            Apply();
        }

        _lastTick = now;
    }

    private void Apply()
    {
        var self = _cluster.SelfUniqueAddress;
        var members = _members.Values.Select(m => new SharingMember(
            m.Address, m.Status, !_unreachable.Contains(m.UniqueAddress), m.UniqueAddress.Equals(self))).ToList();
        var sharing = RateSharing.Of(members, _quietAfterRemoval.Count);
        if (sharing.HoldReason is null && !_quietAfterUp)
        {
            sharing = sharing with { HoldReason = "waiting a quiet second after joining" };
        }

        if (sharing.HoldReason is null && _stalledUntil != 0)
        {
            sharing = sharing with { HoldReason = "this node was stalled; waiting for the failure detector to judge the others again" };
        }

        if (sharing.Sharing != _applied.Sharing)
        {
            // Lower at once; a rise comes only from the events above, after the quiet they need.
            _throttles.SetNodes(sharing.Sharing);
            LogSharing(sharing.Sharing, _cluster.SelfAddress.ToString());
        }

        if (sharing.HoldReason is not null && _applied.HoldReason is null)
        {
            _throttles.Hold(true);
            LogHolding(_cluster.SelfAddress.ToString(), sharing.HoldReason);
        }
        else if (sharing.HoldReason is null && _applied.HoldReason is not null)
        {
            // Said before it happens: no send of this node precedes the line.
            LogSending(_cluster.SelfAddress.ToString(), sharing.Sharing);
            _throttles.Hold(false);
        }

        _applied = sharing;
    }

    // Messages to itself, never across nodes.
    private sealed record QuietOver(UniqueAddress? Member) : INoSerializationVerificationNeeded;

    private sealed record TickNow : INoSerializationVerificationNeeded
    {
        public static TickNow Instance { get; } = new();
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Nodes} live node(s) now; node {Node} takes 1/{Nodes} of each send rate")]
    private partial void LogSharing(int nodes, string node);

    [LoggerMessage(Level = LogLevel.Information, Message = "Node {Node} sends at its share of the rates: {Nodes} live node(s)")]
    private partial void LogSending(string node, int nodes);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Node {Node} holds its sends: {Reason}")]
    private partial void LogHolding(string node, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "This node stood still for {StalledMs:F0} ms; it holds its sends for {Seconds:F0} s while the cluster is judged again")]
    private partial void LogStalled(double stalledMs, double seconds);
}
