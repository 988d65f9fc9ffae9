namespace Messaging.Engine.Aws;

/// <summary>
/// Turns an AWS error response into a <see cref="ProviderErrorKind"/>: the one place that knows
/// which codes mean "slow down", "try again" and "give up". The code lists follow the AWS SDKs'
/// standard retry mode, with the per-service exceptions noted inline.
/// </summary>
public static class ProviderErrorClassifier
{
    private static readonly HashSet<string> ThrottlingCodes = new(StringComparer.Ordinal)
    {
        "Throttling", "ThrottlingException", "ThrottledException", "RequestThrottledException",
        "TooManyRequestsException", "ProvisionedThroughputExceededException", "TransactionInProgressException",
        "RequestLimitExceeded", "BandwidthLimitExceeded", "LimitExceededException", "RequestThrottled",
        "SlowDown", "PriorRequestNotComplete", "EC2ThrottledException",
        // SQS: KMS throttling, and too many in-flight messages (clears as messages are deleted).
        "KmsThrottled", "OverLimit",
    };

    private static readonly HashSet<string> TransientCodes = new(StringComparer.Ordinal)
    {
        "RequestTimeout", "RequestTimeoutException", "InternalFailure", "InternalError", "InternalServerError",
        "InternalServerException", "ServiceUnavailable", "ServiceUnavailableException", "ServiceUnavailableError",
    };

    /// <summary>Classifies an error response.</summary>
    /// <param name="service">The service that answered.</param>
    /// <param name="httpStatus">The HTTP status.</param>
    /// <param name="code">The normalised error code, if the response had one.</param>
    /// <param name="message">The error message, if any.</param>
    public static ProviderErrorKind Classify(AwsService service, int httpStatus, string? code, string? message)
    {
        if (service == AwsService.SesV2)
        {
            // SES reports its daily quota with a throttling code; only the message tells them apart.
            if (message is not null && message.Contains("Daily message quota exceeded", StringComparison.OrdinalIgnoreCase))
            {
                return ProviderErrorKind.QuotaExhausted;
            }

            // In SES v2 this means "too many resources of a type", which no retry of a send can fix.
            if (code == "LimitExceededException")
            {
                return ProviderErrorKind.Permanent;
            }
        }

        if (code is not null && ThrottlingCodes.Contains(code))
        {
            return ProviderErrorKind.Throttled;
        }

        if (code is not null && TransientCodes.Contains(code))
        {
            return ProviderErrorKind.Transient;
        }

        return httpStatus switch
        {
            429 => ProviderErrorKind.Throttled,
            >= 500 => ProviderErrorKind.Transient,
            _ => ProviderErrorKind.Permanent,
        };
    }

    /// <summary>
    /// Normalises an AWS error code as botocore and smithy do: drop everything from the first ':'
    /// (a URL suffix) and keep what follows the last '#' (a namespace).
    /// </summary>
    public static string? NormalizeCode(string? code)
    {
        if (string.IsNullOrWhiteSpace(code))
        {
            return null;
        }

        var span = code.AsSpan().Trim();
        var colon = span.IndexOf(':');
        if (colon >= 0)
        {
            span = span[..colon];
        }

        var hash = span.LastIndexOf('#');
        if (hash >= 0)
        {
            span = span[(hash + 1)..];
        }

        return span.Length == 0 ? null : span.ToString();
    }
}
