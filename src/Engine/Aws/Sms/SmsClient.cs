namespace Messaging.Engine.Aws.Sms;

/// <summary>AWS End User Messaging SMS (<c>PinpointSMSVoiceV2</c>) over AWS JSON 1.0: <c>SendTextMessage</c>.</summary>
public sealed class SmsClient(AwsJsonTransport transport)
{
    /// <summary>The value of the reason a send to an opted-out number fails with: suppress the recipient.</summary>
    public const string OptedOutReason = "DESTINATION_PHONE_NUMBER_OPTED_OUT";

    /// <summary>Sends one text and returns the provider's message id.</summary>
    public async Task<AwsResult<string>> SendTextMessageAsync(SmsText text, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(text);
        var result = await transport.PostJson10Async(
            AwsService.SmsVoiceV2,
            "PinpointSMSVoiceV2.SendTextMessage",
            text,
            SmsJsonContext.Default.SmsText,
            SmsJsonContext.Default.SendTextMessageResponse,
            TimeSpan.Zero,
            cancellationToken).ConfigureAwait(false);
        return result.Map<string>(response => response.MessageId);
    }
}
