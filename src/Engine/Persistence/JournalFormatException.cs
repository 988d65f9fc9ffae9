namespace Messaging.Engine.Persistence;

/// <summary>
/// Stored bytes that this build cannot turn back into an event or a snapshot. Never skipped: a recipient whose history
/// cannot be read must not be sent to as if it had none.
/// </summary>
public sealed class JournalFormatException(string message, Exception? innerException = null)
    : Exception(message, innerException);
