namespace Messaging.Engine.Feedback;

/// <summary>The status queue refused or never answered a SendMessageBatch: the status graph starts again after a backoff.</summary>
public sealed class StatusPublishException(string message) : Exception(message);
