namespace Messaging.Engine.Aws;

/// <summary>
/// What the engine needs to know to reach one AWS service: the name SigV4 signs with, the host
/// prefix of its public endpoint, and the suffix of its <c>AWS_ENDPOINT_URL_*</c> variable.
/// </summary>
/// <param name="DisplayName">Name used in logs and errors.</param>
/// <param name="SigningName">SigV4 service name (the credential scope's service part).</param>
/// <param name="EndpointPrefix">Host prefix of the public endpoint: <c>https://{prefix}.{region}.amazonaws.com</c>.</param>
/// <param name="EndpointVariableSuffix">Suffix of the service-specific endpoint variable, per the AWS SDK convention.</param>
public readonly record struct AwsService(string DisplayName, string SigningName, string EndpointPrefix, string EndpointVariableSuffix)
{
    /// <summary>Amazon SQS (AWS JSON 1.0).</summary>
    public static AwsService Sqs { get; } = new("SQS", "sqs", "sqs", "SQS");

    /// <summary>Amazon SES v2 (REST-JSON). Signs as <c>ses</c> although its host is <c>email</c>.</summary>
    public static AwsService SesV2 { get; } = new("SES", "ses", "email", "SESV2");

    /// <summary>AWS End User Messaging SMS (<c>PinpointSMSVoiceV2</c>, AWS JSON 1.0).</summary>
    public static AwsService SmsVoiceV2 { get; } = new("SMS", "sms-voice", "sms-voice", "PINPOINT_SMS_VOICE_V2");

    /// <inheritdoc />
    public override string ToString() => DisplayName;
}
