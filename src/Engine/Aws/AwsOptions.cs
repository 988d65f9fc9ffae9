namespace Messaging.Engine.Aws;

/// <summary>
/// How the engine reaches AWS. Bound from the <c>Engine:Aws</c> section. Everything is optional:
/// region, credentials and endpoints otherwise come from the standard AWS sources (environment,
/// shared config and credentials files, SSO, container and instance roles).
/// </summary>
public sealed class AwsOptions
{
    /// <summary>Configuration section name.</summary>
    public const string SectionName = "Engine:Aws";

    /// <summary>Region, e.g. <c>eu-west-1</c>. Falls back to <c>AWS_REGION</c>, <c>AWS_DEFAULT_REGION</c>, then the shared config profile.</summary>
    public string? Region { get; set; }

    /// <summary>SQS endpoint override; otherwise <c>AWS_ENDPOINT_URL_SQS</c>, <c>AWS_ENDPOINT_URL</c>, then the public endpoint.</summary>
    public Uri? SqsEndpoint { get; set; }

    /// <summary>SES v2 endpoint override; otherwise <c>AWS_ENDPOINT_URL_SESV2</c>, <c>AWS_ENDPOINT_URL</c>, then the public endpoint.</summary>
    public Uri? SesEndpoint { get; set; }

    /// <summary>SMS endpoint override; otherwise <c>AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2</c>, <c>AWS_ENDPOINT_URL</c>, then the public endpoint.</summary>
    public Uri? SmsEndpoint { get; set; }

    /// <summary>
    /// Longest wait for one provider call, beyond any long-poll wait. A call that takes longer is
    /// abandoned and reported as a transient timeout whose outcome is unknown.
    /// </summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Most concurrent connections to one endpoint.</summary>
    public int MaxConnectionsPerEndpoint { get; set; } = 256;
}
