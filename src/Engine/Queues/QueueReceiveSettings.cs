namespace Messaging.Engine.Queues;

/// <summary>How one queue is received from: long polls of up to ten messages, <paramref name="Receivers"/> at a time.</summary>
/// <param name="QueueName">For logs and metrics.</param>
/// <param name="QueueUrl">Where the receives go.</param>
/// <param name="Receivers">Long polls outstanding at once (each holds at most one unread batch).</param>
/// <param name="WaitTime">Long-poll wait of each receive (0–20 s).</param>
/// <param name="VisibilityTimeout">How long a received message stays hidden, unless extended.</param>
public sealed record QueueReceiveSettings(string QueueName, string QueueUrl, int Receivers, TimeSpan WaitTime, TimeSpan VisibilityTimeout);
