using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Messaging.Testing;

/// <summary>
/// Stands in for AWS End User Messaging SMS, which has no local emulator. It is strict where the
/// real service is: AWS JSON 1.0 framing, the <c>SendTextMessage</c> field rules, and a SigV4
/// signature it recomputes from the bytes that arrived (canonical request built here, from the
/// specification; HMACs from AWSSDK.Core). Tests may script answers (errors, delays, garbage) to
/// exercise the client's error mapping; a scripted answer skips the checks.
/// </summary>
public sealed partial class SmsFixtureServer : IAsyncLifetime
{
    /// <summary>Access key the fixture accepts.</summary>
    public const string AccessKey = "AKIDSMSFIXTURE";

    /// <summary>Secret key the fixture verifies signatures with.</summary>
    public const string SecretKey = "sms-fixture-secret-key";

    /// <summary>Region the fixture expects in the credential scope.</summary>
    public const string Region = "us-east-1";

    private readonly ConcurrentQueue<ScriptedResponse> _script = new();
    private readonly ConcurrentQueue<ReceivedRequest> _received = new();
    private WebApplication? _app;

    /// <summary>The fixture's endpoint.</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Requests received so far, in order.</summary>
    public IReadOnlyList<ReceivedRequest> Received => [.. _received];

    /// <summary>Answers the next request with <paramref name="response"/>.</summary>
    public void Script(ScriptedResponse response) => _script.Enqueue(response);

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync().ConfigureAwait(false);
        var address = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        Endpoint = new Uri(address);
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task HandleAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var signatureProblem = SigV4Verification.Problem(context.Request, headers, body, "sms-voice", AccessKey, SecretKey, Region, "content-type", "x-amz-target");
        _received.Enqueue(new ReceivedRequest(context.Request.Method, context.Request.Path, headers, body, signatureProblem is null));

        if (_script.TryDequeue(out var scripted))
        {
            if (scripted.Delay > TimeSpan.Zero)
            {
                try
                {
                    await Task.Delay(scripted.Delay, context.RequestAborted).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
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

        var (status, answer) = Answer(context.Request, headers, body, signatureProblem);
        await WriteAsync(context, status, answer).ConfigureAwait(false);
    }

    private static (int Status, string Body) Answer(HttpRequest request, Dictionary<string, string> headers, string body, string? signatureProblem)
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

        var problem = CheckSendTextMessage(json);
        return problem is null
            ? (200, $$"""{"MessageId":"{{Guid.NewGuid()}}"}""")
            : (400, Error("ValidationException", problem, "FIELD_VALIDATION_FAILED"));
    }

    private static string? CheckSendTextMessage(JsonElement json)
    {
        var known = new HashSet<string>(StringComparer.Ordinal)
        {
            "DestinationPhoneNumber", "OriginationIdentity", "MessageBody", "MessageType", "Keyword", "ConfigurationSetName",
            "MaxPrice", "TimeToLive", "Context", "DestinationCountryParameters", "DryRun", "ProtectConfigurationId", "MessageFeedbackEnabled",
        };
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

    private static string Error(string type, string message, string? reason = null) =>
        JsonSerializer.Serialize(reason is null
            ? new Dictionary<string, string> { ["__type"] = type, ["Message"] = message }
            : new Dictionary<string, string> { ["__type"] = type, ["Message"] = message, ["Reason"] = reason });

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
