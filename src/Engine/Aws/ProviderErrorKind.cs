namespace Messaging.Engine.Aws;

/// <summary>What the engine should do about a failed provider call. Classified once, here, at the AWS boundary.</summary>
public enum ProviderErrorKind
{
    /// <summary>The provider asked us to slow down. Not a failure of the message: slow the throttle, retry later.</summary>
    Throttled,

    /// <summary>Might work if tried again: 5xx, timeouts, broken connections, unreadable responses.</summary>
    Transient,

    /// <summary>The 24-hour sending quota is used up. Retrying before the window moves cannot help, nor is the message at fault.</summary>
    QuotaExhausted,

    /// <summary>Will fail the same way every time: the request or the account is wrong. Record it; do not retry.</summary>
    Permanent,
}
