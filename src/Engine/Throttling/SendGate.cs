using Messaging.Contracts.Requests;
using Messaging.Engine.Aws;
using Messaging.Engine.Cluster;
using Messaging.Engine.Sending;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Throttling;

/// <summary>
/// The last step of a send: room in its channel's 1-second window (<see cref="SendThrottle.EnterWindowAsync"/>) and,
/// where the account's rate is too small to split between the nodes of a cluster, a slot from the cluster's allocator
/// (<see cref="ClusterSendSlots"/>); then the provider call, which keeps its place in the window until a second after
/// its answer. Everything that waits happens before the call starts, so a send given up here was certainly never sent.
/// </summary>
public sealed partial class SendGate(ProviderSender sender, SendThrottles throttles, ClusterSendSlots slots, TimeProvider timeProvider, ILogger<SendGate> logger)
{
    /// <summary>Sends <paramref name="message"/>, the call of <paramref name="permit"/> (or of none), through <paramref name="throttle"/>'s window.</summary>
    public async Task<AwsResult<string>> SendAsync(SendThrottle throttle, SendPermit? permit, RenderedMessage message, CancellationToken cancellationToken)
    {
        var enteredAt = await throttle.EnterWindowAsync(permit, cancellationToken).ConfigureAwait(false);
        var answered = false;
        SendSlotLease? slot = null;
        try
        {
            if (throttles.SharedSlotRate(throttle) is { } accountRate)
            {
                string? refused;
                (slot, refused) = await TakeSharedSlotAsync(throttle, accountRate, cancellationToken).ConfigureAwait(false);
                if (refused is not null)
                {
                    return AwsResult<string>.Failure(new ProviderError(
                        message.Channel == Channel.Email ? AwsService.SesV2 : AwsService.SmsVoiceV2, ProviderErrorKind.Transient, "SendSlotUnavailable", refused));
                }
            }

            LogEntered(throttle.Name, timeProvider.GetUtcNow());
            var result = await sender.SendAsync(message, cancellationToken).ConfigureAwait(false);
            // Only a response (success or an error status) shows the provider had the call; a timeout does not.
            answered = result.IsSuccess || result.Error.HttpStatus is not null;
            return result;
        }
        finally
        {
            throttle.LeaveWindow(enteredAt, answered);
            if (slot is { } taken)
            {
                slots.Return(taken, answered);
            }
        }
    }

    /// <summary>A shared slot, or the reason there is none (nothing was sent then, so the send is retried).</summary>
    private async Task<(SendSlotLease? Slot, string? Refused)> TakeSharedSlotAsync(SendThrottle throttle, double accountRate, CancellationToken cancellationToken)
    {
        try
        {
            return await slots.TakeAsync(throttle.Name, accountRate, cancellationToken).ConfigureAwait(false) is { } slot
                ? (slot, null)
                : (null, $"Every {throttle.Name} send slot taken was missed; not sent.");
        }
        catch (SendSlotUnavailableException e)
        {
            return (null, $"No {throttle.Name} send slot: {e.Message}; not sent.");
        }
    }

    /// <summary>
    /// At debug level, when each call started, with the node's clock: beside the provider's own count, merged over the
    /// nodes of a cluster, it shows how the calls were spread.
    /// </summary>
    private void LogEntered(string throttle, DateTimeOffset startedAt)
    {
        if (logger.IsEnabled(LogLevel.Debug))
        {
            LogCallStarted(throttle, (startedAt.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond);
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "A send entered the {Throttle} window at {EnteredAtUnixMicroseconds}")]
    private partial void LogCallStarted(string throttle, long enteredAtUnixMicroseconds);
}
