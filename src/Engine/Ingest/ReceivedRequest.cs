using Amazon.SQS.Model;
using Messaging.Engine.Aws;

namespace Messaging.Engine.Ingest;

/// <summary>
/// A request received from a queue and not yet settled on it: what the visibility keeper extends and what shutdown
/// gives back. It moves once from waiting to started (its work began) or given back (shutdown released it first), from
/// started to decided, and from decided to settling (the call that hides, copies, dead-letters or deletes it).
/// </summary>
/// <remarks>
/// Until it settles it is extended; an extension and a settlement of one request never overlap, so an extension that
/// was already on its way cannot undo a hide or a release (its call is awaited before the settlement's).
/// </remarks>
internal sealed class ReceivedRequest(RequestQueue queue, Message message, DateTimeOffset receivedAt, DateTimeOffset visibleAt)
{
    private enum Stage
    {
        Waiting,
        Started,
        Decided,
        GivenBack,
        Settling,
    }

    private readonly Lock _gate = new();
    private Stage _stage;
    private Task _extension = Task.CompletedTask;

    public RequestQueue Queue { get; } = queue;

    public Message Message { get; } = message;

    public DateTimeOffset ReceivedAt { get; } = receivedAt;

    /// <summary>True when this receive may not put the request back for later (see <see cref="RequestQueue.IsLastReceive"/>).</summary>
    public bool IsLastReceive => Queue.IsLastReceive(Message.ApproximateReceiveCount);

    /// <summary>When SQS will show the request to another receiver unless it is extended (the keeper's alone).</summary>
    public DateTimeOffset VisibleAt { get; set; } = visibleAt;

    /// <summary>True while nothing has settled it yet: it is extended, and shutdown gives it back.</summary>
    public bool IsUnsettled
    {
        get
        {
            lock (_gate)
            {
                return _stage is Stage.Waiting or Stage.Started or Stage.Decided;
            }
        }
    }

    /// <summary>Its work may begin: false when shutdown gave it back first.</summary>
    public bool TryStart()
    {
        lock (_gate)
        {
            if (_stage != Stage.Waiting)
            {
                return false;
            }

            _stage = Stage.Started;
            return true;
        }
    }

    /// <summary>Its outcome is decided; it is still extended until its settlement begins.</summary>
    public void MarkDecided()
    {
        lock (_gate)
        {
            if (_stage == Stage.Started)
            {
                _stage = Stage.Decided;
            }
        }
    }

    /// <summary>An extension may begin (it is unsettled); <paramref name="done"/> must be completed when its call returns.</summary>
    public bool TryBeginExtension(out TaskCompletionSource? done)
    {
        lock (_gate)
        {
            if (_stage is Stage.GivenBack or Stage.Settling)
            {
                done = null;
                return false;
            }

            done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _extension = done.Task;
            return true;
        }
    }

    /// <summary>Its settlement begins: no extension starts from now on; the returned task ends the one in flight, if any.</summary>
    public Task BeginSettling()
    {
        lock (_gate)
        {
            _stage = Stage.Settling;
            return _extension;
        }
    }

    /// <summary>
    /// Shutdown may give it back: true (with the extension to await first) when its work had not begun; with
    /// <paramref name="evenIfStarted"/>, also when it began but was never settled (the graph stopped without it).
    /// </summary>
    public bool TryGiveBack(bool evenIfStarted, out Task extension)
    {
        lock (_gate)
        {
            extension = _extension;
            if (_stage == Stage.Waiting || (evenIfStarted && _stage is Stage.Started or Stage.Decided))
            {
                _stage = Stage.GivenBack;
                return true;
            }

            return false;
        }
    }
}
