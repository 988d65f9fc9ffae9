using System.Collections.Concurrent;
using System.Net;
using System.Text;

namespace Messaging.Testing;

/// <summary>
/// Fault injection in front of the real SES peer: a rule may answer a SendEmail call itself (a 500, a 429) instead of
/// letting it through. Calls that go through are timed, for rate checks. The wire format of the answers is SES's own.
/// </summary>
public sealed class ProviderFaults
{
    private readonly ConcurrentQueue<DateTimeOffset> _sentAt = new();
    private readonly ConcurrentQueue<string> _sentOrder = new();
    private int _injected;

    /// <summary>Decides, from the SendEmail body, whether to answer with a fault (non-null) or pass it on.</summary>
    public Func<string, HttpResponseMessage?> Rule { get; set; } = _ => null;

    /// <summary>Time added to every SendEmail that goes through, as a distant provider would take.</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.Zero;

    /// <summary>When each SendEmail that the peer accepted left for it.</summary>
    public IReadOnlyList<DateTimeOffset> SentAt => _sentAt.ToArray();

    /// <summary>The X-Correlation-ID (our messageId) of each SendEmail the peer accepted, in the order they left.</summary>
    public List<string> SentOrder => [.. _sentOrder];

    public int Injected => Volatile.Read(ref _injected);

    public DelegatingHandler CreateHandler() => new Handler(this);

    public static HttpResponseMessage SesError(HttpStatusCode status, string code, string message)
    {
        var response = new HttpResponseMessage(status)
        {
            Content = new StringContent($$"""{"message":"{{message}}"}""", Encoding.UTF8, "application/json"),
        };
        response.Headers.TryAddWithoutValidation("x-amzn-ErrorType", code);
        response.Headers.TryAddWithoutValidation("x-amzn-RequestId", Guid.NewGuid().ToString());
        return response;
    }

    private static string CorrelationOf(string body)
    {
        using var json = System.Text.Json.JsonDocument.Parse(body);
        return json.RootElement.GetProperty("Content").GetProperty("Simple").GetProperty("Headers").EnumerateArray()
            .Single(h => h.GetProperty("Name").GetString() == "X-Correlation-ID").GetProperty("Value").GetString()!;
    }

    private sealed class Handler(ProviderFaults faults) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri?.AbsolutePath != "/v2/email/outbound-emails")
            {
                return await base.SendAsync(request, cancellationToken);
            }

            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            if (faults.Rule(body) is { } fault)
            {
                Interlocked.Increment(ref faults._injected);
                return fault;
            }

            // The moment the call leaves for the provider: what a provider's rate limit sees.
            var leftAt = DateTimeOffset.UtcNow;
            var correlation = CorrelationOf(body);
            var response = await base.SendAsync(request, cancellationToken);
            if (faults.Latency > TimeSpan.Zero)
            {
                await Task.Delay(faults.Latency, cancellationToken);
            }

            if (response.IsSuccessStatusCode)
            {
                faults._sentAt.Enqueue(leftAt);
                faults._sentOrder.Enqueue(correlation);
            }

            return response;
        }
    }
}
