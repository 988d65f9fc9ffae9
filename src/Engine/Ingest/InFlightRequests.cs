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
            .Where(r => r.IsUnsettled && r.VisibleAt - now < visibilityTimeout / 2 && now - r.ReceivedAt < TimeSpan.FromHours(11))
            .ToList();

    /// <summary>
    /// Gives back the requests whose work has not begun (with <paramref name="evenIfStarted"/>, also those never
    /// settled): the caller awaits each one's extension in flight, then releases them.
    /// </summary>
    public IReadOnlyList<(ReceivedRequest Request, Task Extension)> GiveBack(bool evenIfStarted)
    {
        var given = new List<(ReceivedRequest, Task)>();
        foreach (var request in _requests.Keys)
        {
            if (request.TryGiveBack(evenIfStarted, out var extension))
            {
                given.Add((request, extension));
            }
        }

        return given;
    }
}
