namespace Messaging.Engine.Queues;

/// <summary>
/// What a consumer of <see cref="SqsReceiveSource"/> learns of each receive call: when it begins (the mark each of its
/// messages is admitted with) and how it ended. The feedback source uses it to know how far the queue was read.
/// </summary>
/// <typeparam name="TMark">What the consumer notes as a receive begins (e.g. its start time).</typeparam>
internal interface IReceiveWatch<TMark>
{
    /// <summary>A receive call is about to be made.</summary>
    TMark Starting();

    /// <summary>SQS answered the receive with <paramref name="messages"/> messages (0: an empty answer), all admitted already.</summary>
    void Answered(TMark receive, int messages);

    /// <summary>The receive brought no answer: it failed, or shutdown gave up its long poll.</summary>
    void Unanswered(TMark receive);
}
