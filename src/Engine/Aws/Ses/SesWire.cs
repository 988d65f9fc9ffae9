using System.Text.Json.Serialization;

namespace Messaging.Engine.Aws.Ses;

// The REST-JSON shapes of SES v2 SendEmail (Simple content) and GetAccount.

internal sealed record SesContentPart(string Data, string? Charset = "UTF-8");

internal sealed record SesBody(SesContentPart? Html, SesContentPart? Text);

internal sealed record SesHeader(string Name, string Value);

internal sealed record SesSimpleContent(SesContentPart Subject, SesBody Body, SesHeader[]? Headers);

internal sealed record SesContent(SesSimpleContent Simple);

internal sealed record SesDestination(IReadOnlyList<string> ToAddresses);

internal sealed record SesTag(string Name, string Value);

internal sealed record SendEmailRequest(
    string FromEmailAddress,
    SesDestination Destination,
    IReadOnlyList<string>? ReplyToAddresses,
    SesContent Content,
    SesTag[]? EmailTags,
    string? ConfigurationSetName);

internal sealed record SendEmailResponse(string MessageId);

internal sealed record SendQuota(double Max24HourSend, double MaxSendRate, double SentLast24Hours);

internal sealed record GetAccountResponse(SendQuota? SendQuota = null, bool SendingEnabled = false, bool ProductionAccessEnabled = false, string? EnforcementStatus = null);

internal sealed record NoBody;

// Responses missing a required field or carrying a null where none belongs are malformed, not defaults.
[JsonSourceGenerationOptions(
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(SendEmailRequest))]
[JsonSerializable(typeof(SendEmailResponse))]
[JsonSerializable(typeof(GetAccountResponse))]
[JsonSerializable(typeof(NoBody))]
internal sealed partial class SesJsonContext : JsonSerializerContext;
