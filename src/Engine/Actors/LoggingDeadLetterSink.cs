using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Actors;

/// <summary>The default sink: every dead letter becomes an error log entry with the actor and the reason.</summary>
public sealed partial class LoggingDeadLetterSink(ILogger<LoggingDeadLetterSink> logger) : IDeadLetterSink
{
    public void Publish(DeadLetter deadLetter) =>
        LogDeadLetter(deadLetter.Exception, deadLetter.Actor, deadLetter.Reason, deadLetter.Attempts, deadLetter.Message);

    [LoggerMessage(Level = LogLevel.Error,
        Message = "Dead letter for {Actor}: {Reason} after {Attempts} attempt(s): {DeadMessage}")]
    private partial void LogDeadLetter(Exception? exception, string actor, string reason, int attempts, object? deadMessage);
}
