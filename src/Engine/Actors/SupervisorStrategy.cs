namespace Messaging.Engine.Actors;

/// <summary>
/// Restart on failure, up to <see cref="MaxConsecutiveFailures"/> failures of the same message; then escalate it as
/// poison, so one bad message cannot wedge an actor. The pipeline sends an escalated request to the DLQ.
/// </summary>
public sealed record SupervisorStrategy(int MaxConsecutiveFailures)
{
    public static SupervisorStrategy Default { get; } = new(3);

    public Directive Decide(Exception exception, int consecutiveFailures) =>
        exception is OperationCanceledException || consecutiveFailures >= MaxConsecutiveFailures
            ? Directive.Escalate
            : Directive.Restart;
}
