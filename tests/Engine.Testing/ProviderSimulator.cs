using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using System.Text.Json;
using Messaging.SmsPeer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.Testing;

/// <summary>
/// A provider for benchmarks: SES v2 <c>SendEmail</c> and <c>GetAccount</c> (REST JSON) and End User Messaging
/// <c>SendTextMessage</c> (AWS JSON 1.0) on one loopback endpoint, with a signature check, a configurable latency and
/// an account rate it enforces as SES does: a send that would put more than the rate into any 1-second window is
/// answered 429 <c>TooManyRequestsException</c> (SMS: <c>ThrottlingException</c>) and is not sent. It records when each
/// call arrived (on <see cref="Stopwatch"/>'s clock, so a harness in the same process can time requests against it)
/// and which message each accepted send carried (the <c>X-Correlation-ID</c> header, the <c>messageId</c> email tag, or
/// the SMS context's <c>messageId</c>), so lost and doubled sends can be counted.
/// </summary>
public sealed class ProviderSimulator : IAsyncDisposable
{
    private const string SendEmailPath = "/v2/email/outbound-emails";
    private const string AccountPath = "/v2/email/account";
    private const string SendTextTarget = "PinpointSMSVoiceV2.SendTextMessage";

    private readonly WebApplication _app;
    private readonly SlidingWindowLimit _emailLimit;
    private readonly SlidingWindowLimit _smsLimit;
    private readonly TimeSpan _latency;
    private readonly bool _keepCalls;
    private readonly StopwatchDeadlines _answers = new();
    private readonly ConcurrentQueue<AcceptedSend> _accepted = new();
    private readonly ConcurrentQueue<long> _calls = new();
    private readonly ConcurrentDictionary<string, int> _sendsPerMessage = new(StringComparer.Ordinal);
    private readonly ConcurrentQueue<string> _rejections = new();
    private long _acceptedCount;
    private long _throttled;
    private long _answeredCount;
    private long _heldTicks;
    private long _lateTicks;
    private long _leastAfterCountingTicks = long.MaxValue;

    private ProviderSimulator(WebApplication app, double emailRate, double smsRate, TimeSpan latency, bool keepCalls)
    {
        _app = app;
        _emailLimit = new SlidingWindowLimit(emailRate);
        _smsLimit = new SlidingWindowLimit(smsRate);
        _latency = latency;
        _keepCalls = keepCalls;
    }

    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Sends accepted so far (SES and SMS).</summary>
    public long AcceptedCount => Interlocked.Read(ref _acceptedCount);

    /// <summary>Calls answered 429 because they would have exceeded the account rate.</summary>
    public long Throttled => Interlocked.Read(ref _throttled);

    /// <summary>Distinct messages sent at least once.</summary>
    public int DistinctMessages => _sendsPerMessage.Count;

    /// <summary>Sends beyond the first of the same message (a message sent twice counts one).</summary>
    public long Doubled => _sendsPerMessage.Values.Sum(n => (long)n - 1);

    /// <summary>Every accepted send with when it arrived (<see cref="Stopwatch.GetTimestamp"/>), when calls are kept.</summary>
    public IReadOnlyList<AcceptedSend> Accepted => [.. _accepted];

    /// <summary>When every send call arrived, accepted or throttled, when calls are kept.</summary>
    public IReadOnlyList<long> CallTimes => [.. _calls];

    /// <summary>
    /// Accepted sends answered so far, with the mean time from a call's arrival to its answer being written, how much
    /// later than its latency after being counted the answer went (where a rate is missed, what the simulator's own
    /// scheduling took of the round trip), and the shortest time from counting a call to answering it.
    /// </summary>
    public (long Answered, TimeSpan MeanHeld, TimeSpan MeanLate, TimeSpan LeastAfterCounting) Answers
    {
        get
        {
            var answered = Interlocked.Read(ref _answeredCount);
            return answered == 0
                ? (0, TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero)
                : (answered, TimeSpan.FromTicks(Interlocked.Read(ref _heldTicks) / answered), TimeSpan.FromTicks(Interlocked.Read(ref _lateTicks) / answered),
                    TimeSpan.FromTicks(Interlocked.Read(ref _leastAfterCountingTicks)));
        }
    }

    /// <summary>Calls refused for something other than the rate (bad signature, malformed body, unknown operation), with why.</summary>
    public IReadOnlyList<string> Rejections => [.. _rejections];

    /// <param name="emailRate">Emails per second the account allows; 0 for no limit.</param>
    /// <param name="smsRate">SMS per second the account allows; 0 for no limit.</param>
    /// <param name="latency">Added before each accepted send is answered, as a distant provider takes.</param>
    /// <param name="keepCalls">Keep every call's time and message (off for runs of a million sends; counts are kept either way).</param>
    public static async Task<ProviderSimulator> StartAsync(double emailRate, double smsRate, TimeSpan latency, bool keepCalls = true)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o =>
        {
            o.Listen(IPAddress.Loopback, 0);
            o.Limits.MaxConcurrentConnections = null;
        });
        var app = builder.Build();
        var simulator = new ProviderSimulator(app, emailRate, smsRate, latency, keepCalls);
        app.Run(simulator.HandleAsync);
        await app.StartAsync().ConfigureAwait(false);
        simulator.Endpoint = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return simulator;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var arrivedAt = Stopwatch.GetTimestamp();
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        var body = await reader.ReadToEndAsync(context.RequestAborted).ConfigureAwait(false);
        var headers = context.Request.Headers.ToDictionary(h => h.Key.ToLowerInvariant(), h => h.Value.ToString(), StringComparer.Ordinal);
        var request = context.Request;

        if (request.Method == "GET" && request.Path == AccountPath)
        {
            var problem = SigV4Verification.Problem(request, headers, body, "ses", SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, SmsFixtureServer.Region, TimeProvider.System);
            await (problem is null
                ? WriteAsync(context, 200, "application/json", Account())
                : RejectAsync(context, 403, "application/json", "AccessDeniedException", problem)).ConfigureAwait(false);
            return;
        }

        if (request.Method == "POST" && request.Path == SendEmailPath)
        {
            await SendAsync(context, arrivedAt, headers, body, "ses", _emailLimit, SesMessageId, "application/json", "TooManyRequestsException", "Maximum sending rate exceeded.").ConfigureAwait(false);
            return;
        }

        if (request.Method == "POST" && request.Path == "/" && headers.GetValueOrDefault("x-amz-target") == SendTextTarget)
        {
            await SendAsync(context, arrivedAt, headers, body, "sms-voice", _smsLimit, SmsMessageId, "application/x-amz-json-1.0", "ThrottlingException", "Rate exceeded.").ConfigureAwait(false);
            return;
        }

        await RejectAsync(context, 404, "application/json", "UnknownOperationException", $"{request.Method} {request.Path} {headers.GetValueOrDefault("x-amz-target")} is not simulated").ConfigureAwait(false);
    }

    private async Task SendAsync(
        HttpContext context, long arrivedAt, Dictionary<string, string> headers, string body, string service,
        SlidingWindowLimit limit, Func<JsonElement, string?> messageIdOf, string contentType, string throttleCode, string throttleMessage)
    {
        var mustSign = service == "sms-voice" ? new[] { "content-type", "x-amz-target" } : [];
        if (SigV4Verification.Problem(context.Request, headers, body, service, SmsFixtureServer.AccessKey, SmsFixtureServer.SecretKey, SmsFixtureServer.Region, TimeProvider.System, mustSign) is { } problem)
        {
            await RejectAsync(context, 403, contentType, "AccessDeniedException", problem).ConfigureAwait(false);
            return;
        }

        string? messageId;
        try
        {
            using var json = JsonDocument.Parse(body);
            messageId = messageIdOf(json.RootElement);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException)
        {
            await RejectAsync(context, 400, contentType, "BadRequestException", $"malformed request: {e.Message}").ConfigureAwait(false);
            return;
        }

        if (_keepCalls)
        {
            _calls.Enqueue(arrivedAt);
        }

        if (!limit.TryTake(out var acceptedAt))
        {
            Interlocked.Increment(ref _throttled);
            context.Response.Headers["x-amzn-ErrorType"] = throttleCode;
            await WriteAsync(context, 429, contentType, JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = throttleCode, ["message"] = throttleMessage })).ConfigureAwait(false);
            return;
        }

        // Accepted at arrival: that is the moment the account's rate counts.
        Interlocked.Increment(ref _acceptedCount);
        var id = messageId ?? "(no message id)";
        _sendsPerMessage.AddOrUpdate(id, 1, (_, n) => n + 1);
        if (_keepCalls)
        {
            _accepted.Enqueue(new AcceptedSend(id, acceptedAt));
        }

        if (_latency > TimeSpan.Zero)
        {
            // Not Task.Delay: timers run on the kernel's coarse clock and may end a delay up to one of its steps early
            // or late (4 ms here: a 100 ms delay ended after 96.9 to 103.9 ms). No call is answered sooner than its
            // latency after it was counted (the least work a caller may state for this provider), nor much later.
            await _answers.At(acceptedAt + (long)Math.Ceiling(_latency.TotalSeconds * Stopwatch.Frequency), context.RequestAborted).ConfigureAwait(false);
        }

        var answering = Stopwatch.GetTimestamp();
        Interlocked.Add(ref _heldTicks, Stopwatch.GetElapsedTime(arrivedAt, answering).Ticks);
        var afterCounting = Stopwatch.GetElapsedTime(acceptedAt, answering);
        Interlocked.Add(ref _lateTicks, (afterCounting - _latency).Ticks);
        LowerTo(ref _leastAfterCountingTicks, afterCounting.Ticks);
        Interlocked.Increment(ref _answeredCount);
        await WriteAsync(context, 200, contentType, $$"""{"MessageId":"{{Guid.NewGuid()}}"}""").ConfigureAwait(false);
    }

    private static void LowerTo(ref long least, long value)
    {
        var seen = Interlocked.Read(ref least);
        while (value < seen && Interlocked.CompareExchange(ref least, value, seen) is var found && found != seen)
        {
            seen = found;
        }
    }

    /// <summary>Ours from the <c>X-Correlation-ID</c> header; a plain SDK worker's from its <c>messageId</c> tag.</summary>
    private static string? SesMessageId(JsonElement email)
    {
        if (!email.TryGetProperty("FromEmailAddress", out _) || email.GetProperty("Destination").GetProperty("ToAddresses").GetArrayLength() == 0)
        {
            throw new InvalidOperationException("FromEmailAddress and Destination.ToAddresses are required");
        }

        if (email.GetProperty("Content").TryGetProperty("Simple", out var simple) && simple.TryGetProperty("Headers", out var mailHeaders))
        {
            foreach (var header in mailHeaders.EnumerateArray())
            {
                if (header.GetProperty("Name").GetString() == "X-Correlation-ID")
                {
                    return header.GetProperty("Value").GetString();
                }
            }
        }

        return email.TryGetProperty("EmailTags", out var tags)
            ? tags.EnumerateArray().Where(t => t.GetProperty("Name").GetString() == "messageId").Select(t => t.GetProperty("Value").GetString()).FirstOrDefault()
            : null;
    }

    private static string? SmsMessageId(JsonElement text)
    {
        if (!text.TryGetProperty("DestinationPhoneNumber", out _) || !text.TryGetProperty("MessageBody", out _))
        {
            throw new InvalidOperationException("DestinationPhoneNumber and MessageBody are required");
        }

        return text.TryGetProperty("Context", out var context) && context.TryGetProperty("messageId", out var id) ? id.GetString() : null;
    }

    private string Account() => JsonSerializer.Serialize(new
    {
        DedicatedIpAutoWarmupEnabled = false,
        EnforcementStatus = "HEALTHY",
        ProductionAccessEnabled = true,
        SendingEnabled = true,
        SendQuota = new { Max24HourSend = 100_000_000.0, MaxSendRate = _emailLimit.Rate, SentLast24Hours = (double)AcceptedCount },
        SuppressionAttributes = new { SuppressedReasons = new[] { "BOUNCE", "COMPLAINT" } },
    });

    private Task RejectAsync(HttpContext context, int status, string contentType, string code, string message)
    {
        _rejections.Enqueue($"{status} {code}: {message}");
        context.Response.Headers["x-amzn-ErrorType"] = code;
        return WriteAsync(context, status, contentType, JsonSerializer.Serialize(new Dictionary<string, string> { ["__type"] = code, ["message"] = message }));
    }

    private static Task WriteAsync(HttpContext context, int status, string contentType, string body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = contentType;
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        return context.Response.WriteAsync(body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await _app.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _answers.Dispose();
        }
    }

    /// <summary>One accepted send: whose, and when the account's rate counted it.</summary>
    public sealed record AcceptedSend(string MessageId, long ArrivedAt);

    /// <summary>At most <c>floor(rate)</c> sends in any 1-second window, by the times they arrived; 0 for no limit.</summary>
    private sealed class SlidingWindowLimit(double rate)
    {
        private readonly long[] _recent = new long[Math.Max(1, (int)Math.Floor(rate))];
        private readonly Lock _lock = new();
        private long _taken;

        public double Rate => rate;

        /// <summary>Takes a place in the window now, or says the window is full; <paramref name="at"/> is when it was taken.</summary>
        public bool TryTake(out long at)
        {
            if (rate <= 0)
            {
                at = Stopwatch.GetTimestamp();
                return true;
            }

            lock (_lock)
            {
                // Read under the lock, so the times in the window only grow.
                at = Stopwatch.GetTimestamp();
                // The oldest of the last floor(rate) accepted sends must be a full second old.
                var slot = (int)(_taken % _recent.Length);
                if (_taken >= _recent.Length && Stopwatch.GetElapsedTime(_recent[slot], at) < TimeSpan.FromSeconds(1))
                {
                    return false;
                }

                _recent[slot] = at;
                _taken++;
                return true;
            }
        }
    }
}
