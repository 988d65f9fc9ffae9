using Messaging.Contracts.Requests;
using Messaging.Engine.Aws;
using Messaging.Engine.Aws.Ses;
using Messaging.Engine.Aws.Sms;
using Messaging.Engine.Telemetry;

namespace Messaging.Engine.Sending;

/// <summary>Hands a rendered message to SES or End User Messaging, with our message id as tag/context and header.</summary>
public sealed class ProviderSender(SesClient ses, SmsClient sms, EngineMetrics metrics, TimeProvider timeProvider)
{
    public const string CorrelationHeader = "X-Correlation-ID";

    /// <summary>One provider call, timed and counted (sent by channel and configuration set; throttled).</summary>
    public async Task<AwsResult<string>> SendAsync(RenderedMessage message, CancellationToken cancellationToken)
    {
        var started = timeProvider.GetTimestamp();
        var result = await CallAsync(message, cancellationToken).ConfigureAwait(false);
        metrics.ProviderCall(message.Channel, timeProvider.GetElapsedTime(started));
        if (result.IsSuccess)
        {
            metrics.Sent(message.Channel, message.ConfigurationSet);
        }
        else if (result.Error!.Kind == ProviderErrorKind.Throttled)
        {
            metrics.Throttled(message.Channel);
        }

        return result;
    }

    private Task<AwsResult<string>> CallAsync(RenderedMessage message, CancellationToken cancellationToken) =>
        message.Channel == Channel.Email
            ? ses.SendEmailAsync(new SesEmail
            {
                From = message.From!,
                To = [message.To],
                Subject = message.Subject ?? string.Empty,
                Html = message.Html,
                Text = message.Text,
                Headers = [new(CorrelationHeader, message.MessageId)],
                Tags = message.Tags,
                ConfigurationSetName = message.ConfigurationSet,
            }, cancellationToken)
            : sms.SendTextMessageAsync(new SmsText
            {
                DestinationPhoneNumber = message.To,
                MessageBody = message.Text ?? string.Empty,
                OriginationIdentity = message.From,
                ConfigurationSetName = message.ConfigurationSet,
                Context = message.Tags,
            }, cancellationToken);
}
