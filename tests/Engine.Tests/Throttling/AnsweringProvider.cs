using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Text;
using Messaging.Contracts.Requests;
using Messaging.Engine.Cluster;
using Messaging.Engine.Sending;
using Messaging.Engine.Throttling;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace Messaging.Engine.Tests.Throttling;

/// <summary>
/// The engine's real SES and SMS clients, signed and serialized as they are, with the network replaced by a provider
/// that answers every call at once and notes when each arrived (a <see cref="Stopwatch"/> timestamp) and what it sent.
/// </summary>
internal sealed class AnsweringProvider : IAsyncDisposable
{
    private readonly ServiceProvider _services;

    public AnsweringProvider()
    {
        _services = AwsTestServices.Create(ses: new Uri("http://ses.test"), sms: new Uri("http://sms.test"), requestTimeout: RequestTimeout, configureHttp: new Wire(this));
    }

    /// <summary>How long a call through this provider's clients may last (<c>Engine:Aws:RequestTimeout</c>).</summary>
    public static TimeSpan RequestTimeout { get; } = TimeSpan.FromSeconds(10);

    public ConcurrentQueue<(long At, string Body)> Arrivals { get; } = new();

    /// <summary>A gate that sends through <paramref name="throttles"/> (and <paramref name="slots"/> for rates too small to split).</summary>
    public SendGate Gate(SendThrottles throttles, ClusterSendSlots slots) =>
        new(_services.GetRequiredService<ProviderSender>(), throttles, slots, TimeProvider.System, NullLogger<SendGate>.Instance);

    public static RenderedMessage Email(string messageId = "m-1") =>
        new(messageId, Channel.Email, "ana@example.com", "shop@example.com", null, "Hello", null, "Hi", new Dictionary<string, string>());

    public static RenderedMessage Sms(string origination, string messageId = "s-1") =>
        new(messageId, Channel.Sms, "+15551230000", origination, null, null, null, "Hi", new Dictionary<string, string>());

    public ValueTask DisposeAsync() => _services.DisposeAsync();

    private sealed class Wire(AnsweringProvider provider) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken);
            provider.Arrivals.Enqueue((Stopwatch.GetTimestamp(), body));
            return new HttpResponseMessage(HttpStatusCode.OK)
            {
                Content = new StringContent("""{"MessageId":"provider-1"}""", Encoding.UTF8, "application/json"),
            };
        }
    }
}
