using Messaging.Engine.Aws;

namespace Messaging.Engine.Throttling;

/// <summary>
/// The last step before a send leaves for SES or End User Messaging: it waits for room in the channel's 1-second
/// window. Sitting in the HTTP pipeline, after signing and just before the socket, it counts calls when the provider
/// will see them. Other calls (SQS, GetAccount) pass straight through.
/// </summary>
public sealed class ProviderRateHandler(SendThrottles throttles) : DelegatingHandler
{
    private const string SesSendPath = "/v2/email/outbound-emails";
    private const string SmsSendTarget = "PinpointSMSVoiceV2.SendTextMessage";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post)
        {
            if (request.RequestUri?.AbsolutePath == SesSendPath)
            {
                await throttles.Email.EnterWindowAsync(cancellationToken).ConfigureAwait(false);
            }
            else if (request.Headers.TryGetValues(AwsJsonTransport.TargetHeader, out var targets) && targets.Contains(SmsSendTarget))
            {
                await throttles.Sms.EnterWindowAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
