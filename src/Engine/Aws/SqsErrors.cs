using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;

namespace Messaging.Engine.Aws;

/// <summary>
/// The one place that turns what <c>AWSSDK.SQS</c> throws into the engine's classified <see cref="ProviderError"/>:
/// the same throttled / transient / permanent kinds, codes and "outcome unknown" flag the SES and SMS clients report.
/// Callers keep provider failures as values (<see cref="TryAsync{T}"/>); only the caller's own cancellation throws.
/// </summary>
public static class SqsErrors
{
    /// <summary>Runs one SQS call; its result, or the classified reason it failed.</summary>
    /// <param name="call">The SDK call, given the token to pass on.</param>
    /// <param name="cancellationToken">The caller's token: its cancellation throws, it is not an error result.</param>
    public static async Task<AwsResult<T>> TryAsync<T>(Func<CancellationToken, Task<T>> call, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return AwsResult<T>.Success(await call(cancellationToken).ConfigureAwait(false));
        }
        catch (Exception e) when (!cancellationToken.IsCancellationRequested && Classify(e) is { } error)
        {
            return AwsResult<T>.Failure(error);
        }
    }

    /// <summary>
    /// Classifies an exception from an SQS call, or returns null when it is no provider failure (a bug in the request,
    /// such as an argument the SDK refuses before sending). Call it only when the caller did not cancel.
    /// </summary>
    public static ProviderError? Classify(Exception exception) => exception switch
    {
        // A 2xx whose body the SDK could not read: the service probably acted (e.g. the local peer's empty receive).
        AmazonUnmarshallingException e => Error(
            ProviderErrorKind.Transient, "MalformedResponse", e.Message, Status(e.StatusCode), e.RequestId, outcomeUnknown: true),
        AmazonServiceException { StatusCode: 0 } e when Connection(e) is { } lost => lost,
        AmazonServiceException e => Service(e),
        HttpRequestException e => Connection(e),
        // Our HttpClient's timeout (the caller did not cancel): the call may have reached SQS.
        OperationCanceledException or TimeoutException => Error(
            ProviderErrorKind.Transient, "Timeout", $"No complete answer from SQS: {exception.Message}", outcomeUnknown: true),
        IOException or SocketException => Error(ProviderErrorKind.Transient, "ConnectionLost", exception.Message, outcomeUnknown: true),
        // Credentials that cannot be found now may appear (a role attached, an SSO refresh); readiness reports them.
        AmazonClientException e => Connection(e) ?? Error(ProviderErrorKind.Transient, "ClientError", e.Message),
        _ => null,
    };

    /// <summary>One failed entry of a batch call: retry only what SQS says was its own fault.</summary>
    public static ProviderErrorKind KindOf(BatchResultErrorEntry failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.SenderFault is true ? ProviderErrorKind.Permanent : ProviderErrorKind.Transient;
    }

    private static ProviderError Service(AmazonServiceException e)
    {
        var status = Status(e.StatusCode);
        // A modelled exception names the code as AWS documents it (QueueDoesNotExist, OverLimit, KmsThrottled…);
        // ErrorCode may carry the legacy query code instead (AWS.SimpleQueueService.NonExistentQueue).
        var code = e is AmazonSQSException && e.GetType() != typeof(AmazonSQSException)
            ? e.GetType().Name[..^"Exception".Length]
            : ProviderErrorClassifier.NormalizeCode(e.ErrorCode) ?? $"HttpStatus{status ?? 0}";
        var kind = e.Retryable is { Throttling: true }
            ? ProviderErrorKind.Throttled
            : ProviderErrorClassifier.Classify(AwsService.Sqs, status ?? 0, code, e.Message);
        return Error(kind, code, e.Message, status, e.RequestId);
    }

    /// <summary>A failed connection anywhere in the chain; refused or unresolvable means the request never left.</summary>
    private static ProviderError? Connection(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is HttpRequestException http)
            {
                var neverSent = http.HttpRequestError is HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError;
                return Error(ProviderErrorKind.Transient, neverSent ? "ConnectionFailed" : "ConnectionLost", http.Message, outcomeUnknown: !neverSent);
            }

            if (e is IOException or SocketException)
            {
                return Error(ProviderErrorKind.Transient, "ConnectionLost", e.Message, outcomeUnknown: true);
            }
        }

        return null;
    }

    private static int? Status(HttpStatusCode status) => status == 0 ? null : (int)status;

    private static ProviderError Error(
        ProviderErrorKind kind, string code, string message, int? status = null, string? requestId = null, bool outcomeUnknown = false) =>
        new(AwsService.Sqs, kind, code, message) { HttpStatus = status, RequestId = requestId, OutcomeUnknown = outcomeUnknown };
}
