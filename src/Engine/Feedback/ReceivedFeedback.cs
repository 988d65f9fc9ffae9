using Amazon.SQS.Model;

namespace Messaging.Engine.Feedback;

/// <summary>A feedback queue message and the start of the receive that brought it (see <see cref="FeedbackInProgress"/>).</summary>
internal sealed record ReceivedFeedback(Message Message, DateTimeOffset ReceivedBy);
