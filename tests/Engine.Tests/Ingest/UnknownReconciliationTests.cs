using System.Collections.Concurrent;
using System.Text.Json;
using Messaging.Engine.Persistence;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using static Messaging.Testing.FeedbackSamples;

namespace Messaging.Engine.Tests.Ingest;

/// <summary>
/// A provider that freezes mid-call leaves sends recorded <c>unknown</c>. With <c>ReconcileUnknownAfter</c> set, a
/// <c>Send</c> event settles one as sent, and one with no <c>Send</c> event in time is sent once more: nothing lost,
/// nothing doubled.
/// </summary>
public sealed class UnknownReconciliationTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task A_frozen_provider_that_took_some_sends_silently_and_dropped_others_ends_with_one_email_each()
    {
        var provider = new FrozenProvider(id => id.StartsWith("silent-", StringComparison.Ordinal), id => id.StartsWith("dropped-", StringComparison.Ordinal));
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?>
        {
            ["Engine:Aws:RequestTimeout"] = "00:00:02",
            ["Engine:Sending:ReconcileUnknownAfter"] = "00:00:10",
        }, () => provider);
        var ids = new[] { "silent-1", "silent-2", "dropped-1", "dropped-2", "fine-1" };
        await engine.EnqueueAsync(ids.Select(id => EngineUnderTest.EmailRequest(id, engine.Address(id))));

        // The calls froze: both kinds are recorded unknown (the provider took the silent ones, not the dropped ones).
        var journal = engine.Services.GetRequiredService<IJournal>();
        foreach (var id in ids.Where(i => !i.StartsWith("fine", StringComparison.Ordinal)))
        {
            await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync(id, default))?.Status == "unknown", Deadline, $"{id} is recorded unknown");
        }

        // SES publishes Send events for what it took.
        var providerIds = await SilentlyTakenAsync(engine);
        await engine.PublishFeedbackAsync(providerIds.Select(p => Sns(SesEvent("Send", Mail(engine.Address(p.Key), p.Value, p.Key), "send", new())))
            .ToArray());

        foreach (var id in ids)
        {
            await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync(id, default))?.Status == "sent", Deadline, $"{id} ends sent");
        }

        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "every request is finished with");
        var emails = (await engine.SentEmailsAsync(peers)).Select(Correlation).Order().ToList();
        Assert.Equal(ids.Order().ToList(), emails);
        Assert.Equal(2, provider.Calls("dropped-1"));
        Assert.Equal(1, provider.Calls("silent-1"));
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }

    private static string Correlation(JsonElement email) =>
        email.GetProperty("headers").EnumerateArray().Single(h => h.GetProperty("name").GetString() == "X-Correlation-ID")
            .GetProperty("value").GetString()!;

    /// <summary>The provider ids the SES peer gave the silent sends (the engine never saw them).</summary>
    private async Task<Dictionary<string, string>> SilentlyTakenAsync(EngineUnderTest engine) =>
        (await engine.SentEmailsAsync(peers))
            .Where(e => Correlation(e).StartsWith("silent-", StringComparison.Ordinal))
            .ToDictionary(Correlation, e => e.GetProperty("messageId").GetString()!);

    /// <summary>
    /// Freezes the first SendEmail of chosen messages: a "silent" one reaches the SES peer and its answer is never
    /// returned; a "dropped" one never leaves. Either way the engine's call times out. Later calls pass.
    /// </summary>
    private sealed class FrozenProvider(Func<string, bool> silent, Func<string, bool> dropped) : DelegatingHandler
    {
        private readonly ConcurrentDictionary<string, int> _calls = new();

        public int Calls(string messageId) => _calls.GetValueOrDefault(messageId);

        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri?.AbsolutePath != "/v2/email/outbound-emails")
            {
                return await base.SendAsync(request, cancellationToken);
            }

            var body = await request.Content!.ReadAsStringAsync(cancellationToken);
            using var json = JsonDocument.Parse(body);
            var id = json.RootElement.GetProperty("Content").GetProperty("Simple").GetProperty("Headers").EnumerateArray()
                .Single(h => h.GetProperty("Name").GetString() == "X-Correlation-ID").GetProperty("Value").GetString()!;
            var call = _calls.AddOrUpdate(id, 1, (_, n) => n + 1);
            if (call == 1 && (silent(id) || dropped(id)))
            {
                if (silent(id))
                {
                    (await base.SendAsync(request, cancellationToken)).Dispose();
                }

                // Frozen: no answer until the engine gives up on the call.
                await new TaskCompletionSource().Task.WaitAsync(cancellationToken);
            }

            return await base.SendAsync(request, cancellationToken);
        }
    }
}
