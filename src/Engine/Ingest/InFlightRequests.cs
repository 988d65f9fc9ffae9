using System.Collections.Concurrent;
using Amazon.SQS.Model;

namespace Messaging.Engine.Ingest;

/// <summary>
/// Every request received and not yet settled, from the moment its batch arrives (so one waiting in a stream buffer
/// counts too): what the visibility keeper extends, and what shutdown gives back.
/// </summary>
internal sealed class InFlightRequests
{
    private readonly ConcurrentDictionary<ReceivedRequest, byte> _requests = new(ReferenceEqualityComparer.Instance);

    public int Count => _requests.Count;

    public ReceivedRequest Admit(RequestQueue queue, Message message, DateTimeOffset now, TimeSpan visibilityTimeout)
    {
        var request = new ReceivedRequest(queue, message, now, now + visibilityTimeout);
        _requests[request] = 0;
        return request;
    }

    public void Remove(ReceivedRequest request) => _requests.TryRemove(request, out _);

    /// <summary>
    /// Unsettled requests whose visibility ends within half a timeout; none held past 11 hours (SQS refuses to hide a
    /// message more than 12 hours after its receive).
    /// </summary>
    public IReadOnlyList<ReceivedRequest> DueForExtension(DateTimeOffset now, TimeSpan visibilityTimeout) =>
        _requests.Keys
            .Where(r => !r.IsSettled && r.VisibleAt - now < visibilityTimeout / 2 && now - r.ReceivedAt < TimeSpan.FromHours(11))
            .ToList();

    /// <summary>Gives back every request whose work has not started (it never will now): the caller releases them.</summary>
    public IReadOnlyList<ReceivedRequest> GiveBackWaiting() => _requests.Keys.Where(r => r.TryGiveBack()).ToList();

    /// <summary>Requests still unsettled (their work never finished): the caller releases them.</summary>
    public IReadOnlyList<ReceivedRequest> Unsettled() => _requests.Keys.Where(r => !r.IsSettled).ToList();
}
