using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Messaging.SmsPeer;

/// <summary>
/// Stands in for AWS End User Messaging SMS (API <c>PinpointSMSVoiceV2</c>), which has no local emulator. It is strict
/// where the real service is: AWS JSON 1.0 framing, the <c>SendTextMessage</c> field rules, and a SigV4 signature it
/// recomputes from the bytes that arrived (<see cref="SigV4Verification"/>). Besides the API it serves a page and
/// <c>GET /store</c> listing the texts it accepted, and <c>POST /events</c>, which publishes a text's event
/// (<c>TEXT_DELIVERED</c>, a <c>STOP</c> reply…) to the feedback queue through <see cref="SmsPeerSettings.PublishFeedback"/>.
/// </summary>
public sealed partial class SmsPeerServer(SmsPeerSettings settings) : IAsyncDisposable
{
    /// <summary>At most this many texts are kept for the page and the store; older ones are dropped first.</summary>
    public const int StoreCapacity = 10_000;

    private readonly ConcurrentQueue<SmsPeerRequest> _requests = new();
    private readonly ConcurrentQueue<ReceivedText> _texts = new();
    private WebApplication? _app;

    /// <summary>Where the peer listens, once started.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Every request received on the AWS API so far, in order (tests read it).</summary>
    public IReadOnlyList<SmsPeerRequest> Requests => [.. _requests];

    /// <summary>The texts accepted so far, oldest first.</summary>
    public IReadOnlyList<ReceivedText> Texts => [.. _texts];

    /// <summary>Asked first for every API request; an answer replaces the peer's own, and its checks are skipped.</summary>
    public Func<SmsPeerRequest, SmsPeerAnswer?>? Override { get; init; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls(settings.Url);
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync(cancellationToken).ConfigureAwait(false);
        Endpoint = new Uri(_app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Method == "GET" && request.Path == "/")
        {
            context.Response.ContentType = "text/html; charset=utf-8";
            await context.Response.WriteAsync(SmsPeerPage.Render(Texts), context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (request.Method == "GET" && request.Path == "/store")
        {
            context.Response.ContentType = "application/json";
            await JsonSerializer.SerializeAsync(context.Response.Body, new Dictionary<string, IReadOnlyList<ReceivedText>> { ["texts"] = Texts },
                cancellationToken: context.RequestAborted).ConfigureAwait(false);
            return;
        }

        using var reader = new StreamReader(request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        if (request.Method == "POST" && request.Path == "/events")
        {
            var (status, answer) = await PublishEventAsync(body, context.RequestAborted).ConfigureAwait(false);
            context.Response.StatusCode = status;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync(answer, context.RequestAborted).ConfigureAwait(false);
            return;
        }

        var headers = request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var signatureProblem = SigV4Verification.Problem(
            request, headers, body, "sms-voice", settings.AccessKey, settings.SecretKey, settings.Region, settings.Clock, "content-type", "x-amz-target");
        var received = new SmsPeerRequest(request.Method, request.Path, headers, body, signatureProblem);
        _requests.Enqueue(received);

        if (Override?.Invoke(received) is { } scripted)
        {
            if (scripted.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(scripted.Delay, context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up first, which is what a delay is scripted to provoke.
                    return;
                }
            }

            foreach (var (name, value) in scripted.Headers ?? new Dictionary<string, string>())
            {
                context.Response.Headers[name] = value;
            }

            await WriteAsync(context, scripted.Status, scripted.Body).ConfigureAwait(false);
            return;
        }

        var (code, text) = Answer(request, headers, body, signatureProblem);
        await WriteAsync(context, code, text).ConfigureAwait(false);
    }

    private (int Status, string Body) Answer(HttpRequest request, Dictionary<string, string> headers, string body, string? signatureProblem)
    {
        if (signatureProblem is not null)
        {
            return (403, Error("AccessDeniedException", signatureProblem));
        }

        if (request.Method != "POST" || request.Path != "/")
        {
            return (404, Error("UnknownOperationException", $"{request.Method} {request.Path} is not an operation"));
        }

        if (headers.GetValueOrDefault("content-type") != "application/x-amz-json-1.0")
        {
            return (400, Error("ValidationException", "Content-Type must be application/x-amz-json-1.0", "CANNOT_PARSE"));
        }

        if (headers.GetValueOrDefault("x-amz-target") != "PinpointSMSVoiceV2.SendTextMessage")
        {
            return (400, Error("UnknownOperationException", $"unknown target {headers.GetValueOrDefault("x-amz-target")}"));
        }

        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            return (400, Error("ValidationException", "body is not JSON", "CANNOT_PARSE"));
        }

        if (CheckSendTextMessage(json) is { } problem)
        {
            return (400, Error("ValidationException", problem, "FIELD_VALIDATION_FAILED"));
        }

        var messageId = Guid.NewGuid().ToString();
        _texts.Enqueue(new ReceivedText(
            messageId, json.GetProperty("DestinationPhoneNumber").GetString()!, Text(json, "MessageBody"), Text(json, "OriginationIdentity"),
            Text(json, "MessageType"),
            json.TryGetProperty("Context", out var given) ? given.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!) : new Dictionary<string, string>(),
            Text(json, "ConfigurationSetName"), DateTimeOffset.UtcNow));
        while (_texts.Count > StoreCapacity && _texts.TryDequeue(out _))
        {
        }

        return (200, new JsonObject { ["MessageId"] = messageId }.ToJsonString());
    }

    /// <summary>
    /// <c>POST /events</c> with <c>{"messageId": "…", "event": "TEXT_DELIVERED"}</c> (any End User Messaging event type)
    /// or <c>"event": "STOP"</c> (the recipient replies STOP): the record End User Messaging would publish, sent to the
    /// feedback queue.
    /// </summary>
    private async Task<(int Status, string Body)> PublishEventAsync(string body, CancellationToken cancellationToken)
    {
        string? messageId, kind;
        try
        {
            var json = JsonDocument.Parse(body).RootElement;
            (messageId, kind) = (Text(json, "messageId"), Text(json, "event"));
        }
        catch (JsonException e)
        {
            return (400, Problem($"the body is not JSON: {e.Message}"));
        }

        if (kind is null || !(kind == "STOP" || kind.StartsWith("TEXT_", StringComparison.Ordinal)))
        {
            return (400, Problem("give \"event\": TEXT_DELIVERED (or another TEXT_… event type), or STOP"));
        }

        if (_texts.FirstOrDefault(t => t.MessageId == messageId) is not { } text)
        {
            return (404, Problem($"no text with messageId '{messageId}' was received"));
        }

        if (settings.PublishFeedback is null)
        {
            return (503, Problem("no feedback queue is configured (--feedback-queue)"));
        }

        var record = kind == "STOP" ? SmsPeerEvents.Inbound(text, "STOP") : SmsPeerEvents.Status(text, kind, DateTimeOffset.UtcNow);
        return await settings.PublishFeedback(record, cancellationToken).ConfigureAwait(false) is { } failed
            ? (502, Problem($"the feedback queue refused the event: {failed}"))
            : (202, record);
    }

    private static string? Text(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string? CheckSendTextMessage(JsonElement json)
    {
        string[] known =
        [
            "DestinationPhoneNumber", "OriginationIdentity", "MessageBody", "MessageType", "Keyword", "ConfigurationSetName",
            "MaxPrice", "TimeToLive", "Context", "DestinationCountryParameters", "DryRun", "ProtectConfigurationId", "MessageFeedbackEnabled",
        ];
        if (json.ValueKind != JsonValueKind.Object)
        {
            return "the body must be a JSON object";
        }

        foreach (var property in json.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                return $"unknown field {property.Name}";
            }
        }

        if (!json.TryGetProperty("DestinationPhoneNumber", out var destination) || destination.ValueKind != JsonValueKind.String
            || !PhonePattern().IsMatch(destination.GetString()!))
        {
            return "DestinationPhoneNumber must match \\+?[1-9][0-9]{1,18}";
        }

        if (json.TryGetProperty("MessageBody", out var messageBody)
            && (messageBody.ValueKind != JsonValueKind.String || messageBody.GetString()!.Length is 0 or > 1600 || string.IsNullOrWhiteSpace(messageBody.GetString())))
        {
            return "MessageBody must be 1-1600 characters, not all whitespace";
        }

        if (json.TryGetProperty("MessageType", out var type) && type.GetString() is not ("TRANSACTIONAL" or "PROMOTIONAL"))
        {
            return "MessageType must be TRANSACTIONAL or PROMOTIONAL";
        }

        if (json.TryGetProperty("Context", out var context))
        {
            if (context.ValueKind != JsonValueKind.Object || context.EnumerateObject().Count() > 5)
            {
                return "Context must be a map of at most 5 entries";
            }

            foreach (var entry in context.EnumerateObject())
            {
                if (entry.Name.Length is 0 or > 100 || entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString()!.Length is 0 or > 800)
                {
                    return "Context keys are 1-100 characters and values 1-800";
                }
            }
        }

        if (json.TryGetProperty("TimeToLive", out var ttl) && (ttl.ValueKind != JsonValueKind.Number || ttl.GetInt32() is < 5 or > 259_200))
        {
            return "TimeToLive must be 5-259200";
        }

        return null;
    }

    private static string Error(string type, string message, string? reason = null)
    {
        var error = new JsonObject { ["__type"] = type, ["Message"] = message };
        if (reason is not null)
        {
            error["Reason"] = reason;
        }

        return error.ToJsonString();
    }

    private static string Problem(string message) => new JsonObject { ["error"] = message }.ToJsonString();

    private static Task WriteAsync(HttpContext context, int status, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/x-amz-json-1.0";
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    [GeneratedRegex(@"^\+?[1-9][0-9]{1,18}$")]
    private static partial Regex PhonePattern();
}
