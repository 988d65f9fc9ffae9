namespace Messaging.Engine.Aws;

/// <summary>
/// A failed provider call, classified. <see cref="OutcomeUnknown"/> is the important subtlety: a
/// timeout or an unreadable success response does not say whether the provider acted, so a send
/// that ends this way may have gone out.
/// </summary>
/// <param name="Service">Which service answered (or failed to).</param>
/// <param name="Kind">What to do about it.</param>
/// <param name="Code">The AWS error code (normalised, e.g. <c>TooManyRequestsException</c>), or one of ours: <c>Timeout</c>, <c>ConnectionFailed</c>, <c>MalformedResponse</c>, <c>HttpStatus{N}</c>.</param>
/// <param name="Message">The provider's message, or ours.</param>
public sealed record ProviderError(AwsService Service, ProviderErrorKind Kind, string Code, string Message)
{
    /// <summary>HTTP status, when a response arrived.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>The provider's request id (<c>x-amzn-RequestId</c>), for support cases.</summary>
    public string? RequestId { get; init; }

    /// <summary>The structured reason some errors carry (End User Messaging: <c>DESTINATION_PHONE_NUMBER_OPTED_OUT</c>…).</summary>
    public string? Reason { get; init; }

    /// <summary>True when the provider may have acted on the request although the call failed.</summary>
    public bool OutcomeUnknown { get; init; }

    /// <summary>True when the error says to slow down or wait: neither the message nor the request is at fault.</summary>
    public bool IsRetryable => Kind is not ProviderErrorKind.Permanent;

    /// <inheritdoc />
    public override string ToString()
    {
        var status = HttpStatus is { } s ? $" HTTP {s}" : string.Empty;
        var reason = Reason is null ? string.Empty : $" ({Reason})";
        var unknown = OutcomeUnknown ? " [outcome unknown]" : string.Empty;
        return $"{Service} {Kind} {Code}{reason}{status}: {Message}{unknown}";
    }
}
