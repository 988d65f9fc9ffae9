using Messaging.Engine.Aws;

namespace Messaging.Engine.Tests.Aws;

public sealed class ProviderErrorClassifierTests
{
    public static TheoryData<string, int, string?, string?, ProviderErrorKind> Cases() => new()
    {
        { "SES", 429, "TooManyRequestsException", "Maximum sending rate exceeded.", ProviderErrorKind.Throttled },
        { "SES", 400, "ThrottlingException", "Rate exceeded", ProviderErrorKind.Throttled },
        { "SES", 454, "Throttling", "Daily message quota exceeded.", ProviderErrorKind.QuotaExhausted },
        { "SES", 400, "LimitExceededException", "Too many configuration sets", ProviderErrorKind.Permanent },
        { "SES", 400, "MessageRejected", "Email address is not verified.", ProviderErrorKind.Permanent },
        { "SES", 400, "SendingPausedException", "Sending is paused", ProviderErrorKind.Permanent },
        { "SES", 404, "NotFoundException", "Configuration set does not exist", ProviderErrorKind.Permanent },
        { "SES", 503, "ServiceUnavailable", null, ProviderErrorKind.Transient },
        { "SQS", 400, "RequestThrottled", null, ProviderErrorKind.Throttled },
        { "SQS", 400, "KmsThrottled", null, ProviderErrorKind.Throttled },
        { "SQS", 403, "OverLimit", null, ProviderErrorKind.Throttled },
        { "SQS", 400, "LimitExceededException", null, ProviderErrorKind.Throttled },
        { "SQS", 400, "QueueDoesNotExist", "The specified queue does not exist.", ProviderErrorKind.Permanent },
        { "SQS", 500, "InternalError", null, ProviderErrorKind.Transient },
        { "SMS", 400, "ThrottlingException", null, ProviderErrorKind.Throttled },
        { "SMS", 500, "InternalServerException", null, ProviderErrorKind.Transient },
        { "SMS", 409, "ConflictException", "opted out", ProviderErrorKind.Permanent },
        { "SMS", 400, "ValidationException", null, ProviderErrorKind.Permanent },
        { "SMS", 402, "ServiceQuotaExceededException", null, ProviderErrorKind.Permanent },
        { "SMS", 502, null, null, ProviderErrorKind.Transient },
        { "SMS", 429, null, null, ProviderErrorKind.Throttled },
        { "SMS", 408, "RequestTimeout", null, ProviderErrorKind.Transient },
        { "SMS", 403, null, null, ProviderErrorKind.Permanent },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Classifies_error_responses(string service, int status, string? code, string? message, ProviderErrorKind expected)
    {
        var aws = service switch { "SES" => AwsService.SesV2, "SQS" => AwsService.Sqs, _ => AwsService.SmsVoiceV2 };

        Assert.Equal(expected, ProviderErrorClassifier.Classify(aws, status, code, message));
    }

    [Theory]
    [InlineData("com.amazonaws.sqs#QueueDoesNotExist", "QueueDoesNotExist")]
    [InlineData("TooManyRequestsException:http://internal.amazon.com/coral/com.amazon.coral.service/", "TooManyRequestsException")]
    [InlineData("aws.protocoltests#FooError:http://internal.amazon.com/", "FooError")]
    [InlineData("  ValidationException ", "ValidationException")]
    [InlineData("", null)]
    [InlineData(null, null)]
    public void Normalizes_codes_as_the_sdks_do(string? raw, string? expected) =>
        Assert.Equal(expected, ProviderErrorClassifier.NormalizeCode(raw));
}
