using System.Net;
using System.Net.Sockets;
using Amazon.Runtime;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws;

/// <summary>What AWSSDK.SQS throws, as the engine's throttled / transient / permanent kinds: real answers from a scripted server, then the exceptions no server can script.</summary>
public sealed class SqsErrorsTests : IAsyncLifetime
{
    private const string QueueUrl = "http://sqs.test/000000000000/q";
    private readonly SmsFixtureServer _server = new();
    private ServiceProvider _services = null!;

    private IAmazonSQS Sqs => _services.GetRequiredService<IAmazonSQS>();

    public async Task InitializeAsync()
    {
        await _server.InitializeAsync();
        _services = AwsTestServices.Create(sqs: _server.Endpoint, requestTimeout: TimeSpan.FromSeconds(3));
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    [Fact]
    public async Task A_throttling_code_on_a_400_is_throttling()
    {
        _server.Script(ScriptedResponse.Json10Error(400, "com.amazonaws.sqs#RequestThrottled", "Rate exceeded"));

        var result = await SqsErrors.TryAsync(ct => Sqs.GetQueueUrlAsync("q", ct), default);

        Assert.Equal(ProviderErrorKind.Throttled, result.Error!.Kind);
        Assert.Equal("RequestThrottled", result.Error.Code);
        Assert.Equal(AwsService.Sqs, result.Error.Service);
    }

    [Fact]
    public async Task Too_many_messages_in_flight_is_throttling_not_a_failure()
    {
        _server.Script(ScriptedResponse.Json10Error(403, "com.amazonaws.sqs#OverLimit", "The maximum number of in flight messages is reached"));

        var error = (await SqsErrors.TryAsync(ct => Sqs.ReceiveMessageAsync(QueueUrl, ct), default)).Error!;

        Assert.Equal((ProviderErrorKind.Throttled, "OverLimit", 403), (error.Kind, error.Code, error.HttpStatus));
    }

    [Fact]
    public async Task A_5xx_is_transient_with_its_status()
    {
        _server.Script(ScriptedResponse.Json10Error(500, "com.amazonaws.sqs#InternalError", "We encountered an internal error."));

        var error = (await SqsErrors.TryAsync(ct => Sqs.ReceiveMessageAsync(QueueUrl, ct), default)).Error!;

        Assert.Equal((ProviderErrorKind.Transient, 500), (error.Kind, error.HttpStatus));
        Assert.False(error.OutcomeUnknown);
    }

    [Fact]
    public async Task A_bad_request_is_permanent()
    {
        _server.Script(ScriptedResponse.Json10Error(400, "com.amazonaws.sqs#InvalidAddress", "The address is not valid."));

        var error = (await SqsErrors.TryAsync(ct => Sqs.SendMessageAsync(QueueUrl, "x", ct), default)).Error!;

        Assert.Equal((ProviderErrorKind.Permanent, "InvalidAddress"), (error.Kind, error.Code));
    }

    [Fact]
    public async Task A_malformed_success_body_is_transient_and_its_outcome_unknown()
    {
        _server.Script(new ScriptedResponse(200, """{"MessageId": oops"""));

        var error = (await SqsErrors.TryAsync(ct => Sqs.SendMessageAsync(QueueUrl, "x", ct), default)).Error!;

        Assert.Equal((ProviderErrorKind.Transient, "MalformedResponse", 200), (error.Kind, error.Code, error.HttpStatus));
        Assert.True(error.OutcomeUnknown);
    }

    [Fact]
    public async Task An_empty_success_body_is_an_empty_answer_not_an_error()
    {
        _server.Script(new ScriptedResponse(200, ""));

        var received = await Sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(QueueUrl, 10, TimeSpan.Zero, null));

        Assert.Empty(received.Messages ?? []);
    }

    [Fact]
    public async Task A_refused_connection_is_transient_and_certainly_not_sent()
    {
        await using var services = AwsTestServices.Create(sqs: ClosedPort());

        var result = await SqsErrors.TryAsync(ct => services.GetRequiredService<IAmazonSQS>().SendMessageAsync(QueueUrl, "x", ct), default);

        Assert.Equal((ProviderErrorKind.Transient, "ConnectionFailed"), (result.Error!.Kind, result.Error.Code));
        Assert.False(result.Error.OutcomeUnknown);
        Assert.Null(result.Error.HttpStatus);
    }

    [Fact]
    public async Task A_long_poll_and_a_call_behind_it_on_one_connection_both_succeed()
    {
        await using var services = AwsTestServices.Create(sqs: _server.Endpoint, requestTimeout: TimeSpan.FromSeconds(1),
            extraSettings: new Dictionary<string, string?> { ["Engine:Aws:MaxConnectionsPerEndpoint"] = "1" });
        var sqs = services.GetRequiredService<IAmazonSQS>();
        _server.Script(new ScriptedResponse(200, """{"Messages":[]}""", Delay: TimeSpan.FromSeconds(2.5)));
        _server.Script(new ScriptedResponse(200, """{"QueueUrl":"http://sqs.test/000000000000/second"}"""));

        var poll = SqsErrors.TryAsync(ct => sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(QueueUrl, 10, TimeSpan.FromSeconds(3), null), ct), default);
        await AwaitCondition.UntilAsync(() => Task.FromResult(_server.Received.Count == 1), TimeSpan.FromSeconds(10), "the long poll reaches the provider");
        var behind = await SqsErrors.TryAsync(ct => sqs.GetQueueUrlAsync("second", ct), default);

        Assert.True((await poll).IsSuccess);
        Assert.True(behind.IsSuccess, behind.ToString());
    }

    [Fact]
    public async Task Cancellation_by_the_caller_throws_instead_of_becoming_an_error()
    {
        _server.Script(new ScriptedResponse(200, """{"MessageId":"late"}""", Delay: TimeSpan.FromSeconds(30)));
        using var cancel = new CancellationTokenSource();
        var call = SqsErrors.TryAsync(ct => Sqs.SendMessageAsync(QueueUrl, "x", ct), cancel.Token);
        await AwaitCondition.UntilAsync(() => Task.FromResult(_server.Received.Count == 1), TimeSpan.FromSeconds(10), "the request reached the server");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public void A_timeout_is_transient_and_its_outcome_unknown()
    {
        var error = SqsErrors.Classify(new TaskCanceledException("The request was canceled due to the configured HttpClient.Timeout", new TimeoutException()))!;

        Assert.Equal((ProviderErrorKind.Transient, "Timeout"), (error.Kind, error.Code));
        Assert.True(error.OutcomeUnknown);
    }

    [Fact]
    public void The_empty_long_poll_unmarshalling_failure_is_transient_so_the_receive_loop_resumes()
    {
        var error = SqsErrors.Classify(new AmazonUnmarshallingException("req-1", "", new System.Text.Json.JsonException("no body"), HttpStatusCode.OK))!;

        Assert.Equal((ProviderErrorKind.Transient, "MalformedResponse", 200), (error.Kind, error.Code, error.HttpStatus));
        Assert.True(error.IsRetryable);
    }

    [Theory]
    [InlineData("ThrottlingException", HttpStatusCode.BadRequest, ProviderErrorKind.Throttled)]
    [InlineData("SomethingElse", HttpStatusCode.TooManyRequests, ProviderErrorKind.Throttled)]
    [InlineData("ServiceUnavailable", HttpStatusCode.ServiceUnavailable, ProviderErrorKind.Transient)]
    [InlineData("AWS.SimpleQueueService.NonExistentQueue", HttpStatusCode.BadRequest, ProviderErrorKind.Permanent)]
    [InlineData("AccessDenied", HttpStatusCode.Forbidden, ProviderErrorKind.Permanent)]
    public void A_service_error_is_classified_by_its_code_then_its_status(string code, HttpStatusCode status, ProviderErrorKind kind)
    {
        var error = SqsErrors.Classify(new AmazonSQSException("refused", ErrorType.Sender, code, "req-2", status))!;

        Assert.Equal(kind, error.Kind);
        Assert.Equal("req-2", error.RequestId);
    }

    [Fact]
    public void A_lost_connection_may_have_reached_SQS()
    {
        var error = SqsErrors.Classify(new HttpRequestException(HttpRequestError.ResponseEnded, "The response ended prematurely."))!;

        Assert.Equal((ProviderErrorKind.Transient, "ConnectionLost"), (error.Kind, error.Code));
        Assert.True(error.OutcomeUnknown);
    }

    [Fact]
    public void An_argument_the_SDK_refuses_is_a_bug_not_a_provider_error()
    {
        Assert.Null(SqsErrors.Classify(new ArgumentException("bad")));
    }

    [Fact]
    public void A_failed_batch_entry_is_permanent_only_when_it_is_the_senders_fault()
    {
        Assert.Equal(ProviderErrorKind.Permanent, SqsErrors.KindOf(new BatchResultErrorEntry { Id = "a", Code = "InvalidParameterValue", SenderFault = true }));
        Assert.Equal(ProviderErrorKind.Transient, SqsErrors.KindOf(new BatchResultErrorEntry { Id = "b", Code = "InternalError", SenderFault = false }));
    }

    private static Uri ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}");
    }
}
