using Messaging.Engine.Queues;

namespace Messaging.Engine.Feedback;

/// <summary>
/// The receives of the feedback queue and the messages they brought that are not handled yet, by the start of their
/// receive. An empty receive proves the queue drained as of its start only once nothing received before that start is
/// still being handled (handling runs beside the next receives): only then is its start told to <see cref="FeedbackProgress"/>.
/// </summary>
/// <remarks>
/// One per run of the feedback graph, so what a failed run left unfinished never holds up the next run's marks. Bounded
/// by what is in flight: one entry per receive start with a receive or a message still open.
/// </remarks>
internal sealed class FeedbackInProgress(FeedbackProgress progress, TimeProvider timeProvider) : IReceiveWatch<DateTimeOffset>
{
    private readonly Lock _gate = new();

    // Per receive start: 1 while the receive is unanswered, plus its messages not yet handled.
    private readonly SortedDictionary<DateTimeOffset, int> _open = [];

    // The latest empty receive not yet reported (a later one replaces it: reporting the earlier one would only say less).
    private DateTimeOffset? _emptyAt;

    public DateTimeOffset Starting()
    {
        var startedAt = timeProvider.GetUtcNow();
        lock (_gate)
        {
            Count(startedAt, 1);
        }

        return startedAt;
    }

    public void Answered(DateTimeOffset receive, int messages)
    {
        lock (_gate)
        {
            Count(receive, messages - 1);
            if (messages == 0 && (_emptyAt is not { } earlier || receive > earlier))
            {
                _emptyAt = receive;
            }

            ReportIfClear();
        }
    }

    public void Unanswered(DateTimeOffset receive) => Finished(receive);

    /// <summary>A message received by the receive started at <paramref name="receive"/> is handled (recorded, dead-lettered, or left on the queue).</summary>
    public void Finished(DateTimeOffset receive)
    {
        lock (_gate)
        {
            Count(receive, -1);
            ReportIfClear();
        }
    }

    private void Count(DateTimeOffset receive, int change)
    {
        var open = _open.GetValueOrDefault(receive) + change;
        if (open > 0)
        {
            _open[receive] = open;
        }
        else
        {
            _open.Remove(receive);
        }
    }

    private void ReportIfClear()
    {
        // Strictly later: a message received by a receive that started at the same instant may predate the empty one.
        if (_emptyAt is { } emptyAt && (_open.Count == 0 || _open.First().Key > emptyAt))
        {
            progress.Drained(emptyAt);
            _emptyAt = null;
        }
    }
}
