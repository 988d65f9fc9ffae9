namespace Messaging.Engine.Aws.Ses;

/// <summary>The parts of SES <c>GetAccount</c> the engine acts on.</summary>
/// <param name="MaxSendRate">Emails (recipients) per second.</param>
/// <param name="Max24HourSend">Emails per rolling 24 hours; negative means unlimited.</param>
/// <param name="SentLast24Hours">Emails sent in the last 24 hours.</param>
/// <param name="SendingEnabled">False when sending is paused for the account.</param>
/// <param name="ProductionAccessEnabled">False in the sandbox.</param>
/// <param name="EnforcementStatus"><c>HEALTHY</c>, <c>PROBATION</c> or <c>SHUTDOWN</c>.</param>
public sealed record SesAccount(
    double MaxSendRate,
    double Max24HourSend,
    double SentLast24Hours,
    bool SendingEnabled,
    bool ProductionAccessEnabled,
    string? EnforcementStatus);
