using System.Text.Json;
using Messaging.Engine.Aws;
using Messaging.Engine.Cluster;
using Messaging.Engine.Persistence;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Throttling;

/// <summary>
/// The last step before a send leaves for SES or End User Messaging: it waits for room in the channel's 1-second
/// window. Sitting in the HTTP pipeline, after signing and just before the socket, it counts calls when the provider
/// will see them. Where a rate is too small to split between the nodes of a cluster, the send then takes a slot shared
/// through the database (<see cref="ClusterSendSlots"/>) and waits for it. Other calls (SQS, GetAccount) pass straight
/// through.
/// </summary>
public sealed partial class ProviderRateHandler(
    SendThrottles throttles, ClusterSendSlots slots, TimeProvider timeProvider, ILogger<ProviderRateHandler> logger) : DelegatingHandler
{
    private const string SesSendPath = "/v2/email/outbound-emails";
    private const string SmsSendTarget = "PinpointSMSVoiceV2.SendTextMessage";

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Method == HttpMethod.Post)
        {
            // Until it goes on: a timeout meanwhile means "never sent", and the request is retried.
            request.Options.Set(AwsJsonTransport.HeldBeforeTheWire, true);
            if (request.RequestUri?.AbsolutePath == SesSendPath)
            {
                await EnterAsync(throttles.Email, cancellationToken).ConfigureAwait(false);
            }
            else if (request.Headers.TryGetValues(AwsJsonTransport.TargetHeader, out var targets) && targets.Contains(SmsSendTarget))
            {
                var origination = await OriginationOfAsync(request, cancellationToken).ConfigureAwait(false);
                await EnterAsync(throttles.SmsFrom(origination), cancellationToken).ConfigureAwait(false);
            }

            request.Options.Set(AwsJsonTransport.HeldBeforeTheWire, false);
        }

        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    private async Task EnterAsync(SendThrottle throttle, CancellationToken cancellationToken)
    {
        var enteredAt = await throttle.EnterWindowAsync(cancellationToken).ConfigureAwait(false);
        if (throttles.SharedSlotRate(throttle) is { } accountRate)
        {
            bool inSlot;
            try
            {
                inSlot = await slots.WaitForSlotAsync(throttle.Name, accountRate, cancellationToken).ConfigureAwait(false);
            }
            catch (SendSlotUnavailableException e)
            {
                // Nothing left for the provider: the send fails as refused before it left, so it is retried, not
                // recorded as possibly sent.
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"No {throttle.Name} send slot: {e.Message}", e);
            }

            if (!inSlot)
            {
                throw new HttpRequestException(HttpRequestError.ConnectionError, $"Every {throttle.Name} send slot taken was missed; not sent.");
            }

            enteredAt = timeProvider.GetUtcNow();
        }

        LogEntered(throttle.Name, enteredAt);
    }

    /// <summary>
    /// At debug level, when each send was counted against its rate (the time the window recorded, or the start of its
    /// shared slot): what the rate is measured against. Nodes of a cluster write these with their own clocks, so
    /// merged they show the account-wide rate without the receiver's jitter.
    /// </summary>
    private void LogEntered(string throttle, DateTimeOffset enteredAt)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogSendEnteredWindow(throttle, (enteredAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A send entered the {Throttle} window at {EnteredAtUnixMicroseconds}")]
    private partial void LogSendEnteredWindow(string throttle, long enteredAtUnixMicroseconds);

    /// <summary>The SendTextMessage's <c>OriginationIdentity</c>, which picks the throttle.</summary>
    private static async Task<string?> OriginationOfAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        if (request.Content is null)
        {
            return null;
        }

        var body = await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var reader = new Utf8JsonReader(body);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("OriginationIdentity"))
            {
                reader.Read();
                return reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
            }

            if (reader.TokenType is JsonTokenType.StartObject or JsonTokenType.StartArray && reader.CurrentDepth > 0)
            {
                reader.Skip();
            }
        }

        return null;
    }
}
