namespace Messaging.Engine.Persistence;

/// <summary>
/// The store could not complete an operation (unreachable, disk full, constraint violated). Nothing of the failed
/// transaction is durable; callers treat it as transient and retry or escalate.
/// </summary>
public sealed class JournalStorageException : Exception
{
    public JournalStorageException(string message, Exception? innerException = null)
        : base(message, innerException) { }
}
