namespace Messaging.Engine.Queues;

/// <summary>A receive that SQS refused or never answered: it fails its receiver, which restarts after a backoff.</summary>
public sealed class SqsReceiveException(string message) : Exception(message);
