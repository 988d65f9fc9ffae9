using Akka.Actor;
using Amazon.Runtime;
using Messaging.Contracts.Requests;
using Messaging.Engine;
using Messaging.Engine.Aws.Signing;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Ingest;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Host.Cli;
using Messaging.Host.Tests.Api;
using Messaging.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.Host.Tests.Cli;

/// <summary>
/// <c>engine recipient|message|dlq|reputation</c> on a fresh database and the real SQS peer; <c>recipient</c> through a
/// running engine's operator API.
/// </summary>
public sealed class OperatorCommandsTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IDisposable
{
    private readonly CliHarness _cli = new(peers, $"c{Guid.NewGuid():N}"[..13], "ops");

    private string Prefix => _cli.Prefix;

    public void Dispose() => _cli.Dispose();

    private ServiceProvider Services() => _cli.Services();

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => _cli.RunAsync(args);

    [Fact]
    public async Task A_recipient_is_suppressed_shown_and_unsuppressed_with_who_and_why()
    {
        // The recipient commands go through a running engine's API: its actors hold the state.
        await using var engine = _cli.Engine = await OperatorHost.StartAsync(peers, kestrel: true);
        var suppressed = await RunAsync("recipient", "suppress", "email", "ana@example.com", "--reason", "asked by phone", "--by", "ops");
        var shown = await RunAsync("recipient", "show", "email", "ana@example.com");
        var lifted = await RunAsync("recipient", "unsuppress", "email", "ana@example.com", "--reason", "mistake", "--by", "ops");
        var json = await RunAsync("recipient", "show", "email", "ana@example.com", "--json");
        var bad = await RunAsync("recipient", "show", "fax", "123");

        Assert.Equal((EngineCommands.Done, "email:ana@example.com: Suppressed\n"), (suppressed.Code, suppressed.Output.ReplaceLineEndings("\n")));
        Assert.StartsWith("email:ana@example.com: SUPPRESSED (Operator since ", shown.Output);
        Assert.Contains("by ops: asked by phone)", shown.Output);
        Assert.Equal("email:ana@example.com: Unsuppressed\n", lifted.Output.ReplaceLineEndings("\n"));
        Assert.Contains("\"suppression\": null", json.Output);
        Assert.Equal((EngineCommands.BadInput, "engine: channel 'fax' is not 'email' or 'sms'.\n"), (bad.Code, bad.Error.ReplaceLineEndings("\n")));
    }

    [Fact]
    public async Task Without_a_running_engine_the_recipient_commands_say_so_and_change_nothing()
    {
        var url = $"http://127.0.0.1:{EngineProcess.FreePort()}";

        var suppressed = await RunAsync("recipient", "suppress", "email", "ana@example.com", "--reason", "asked by phone", "--url", url);
        var shown = await RunAsync("recipient", "show", "email", "ana@example.com", "--url", url);

        Assert.Equal((EngineCommands.Failed, ""), (suppressed.Code, suppressed.Output));
        Assert.StartsWith($"engine recipient suppress: no engine answers at {url}/", suppressed.Error, StringComparison.Ordinal);
        Assert.Equal((EngineCommands.Failed, ""), (shown.Code, shown.Output));
        // The CLI hosted no recipient actor of its own: nothing was written to the store.
        await using var services = Services();
        await services.GetRequiredService<IJournal>().MigrateAsync(default);
        Assert.Empty(await services.GetRequiredService<IJournal>().ListSuppressionsAsync(null, 10, null, default));
    }

    [Fact]
    public async Task Messages_are_shown_and_listed_and_an_unknown_one_exits_2()
    {
        // An engine on the CLI's database records the rejection through its recipient entity, then stops.
        await using (var engine = await OperatorHost.StartAsync(peers, ("Engine:Persistence:SqlitePath", Path.Combine(_cli.Directory, "engine.db"))))
        {
            Assert.Equal(RejectionOutcome.Recorded, await engine.Services.GetRequiredService<RecipientRegion>().ActorRef.Ask<RejectionOutcome>(
                new RecordRejectedRequest(RecipientKey.For(Channel.Email, "bo@example.com"), "cli-m1", "invalid request: $.content: is required"),
                TimeSpan.FromSeconds(30)));
        }

        var shown = await RunAsync("message", "show", "cli-m1");
        var listed = await RunAsync("message", "list", "--to", "bo@example.com", "--json");
        var missing = await RunAsync("message", "show", "nope");

        Assert.Equal(EngineCommands.Done, shown.Code);
        Assert.Contains("cli-m1   email:bo@example.com  rejected", shown.Output);
        Assert.Contains("\"messageId\": \"cli-m1\"", listed.Output);
        Assert.Equal((EngineCommands.BadInput, "engine message show: no message 'nope'.\n"), (missing.Code, missing.Error.ReplaceLineEndings("\n")));
    }

    [Fact]
    public async Task Dead_letters_are_peeked_redriven_to_their_source_queue_and_purged()
    {
        Assert.Equal(EngineCommands.Done, (await RunAsync("init")).Code);
        await using var services = Services();
        var sqs = services.GetRequiredService<IAmazonSQS>();
        var queues = services.GetRequiredService<QueueDirectory>();
        var dlqUrl = (await queues.UrlOfAsync($"{Prefix}-dlq", default)).Value;
        foreach (var body in new[] { "first", "second" })
        {
            await sqs.SendMessageAsync(new SendMessageRequest
            {
                QueueUrl = dlqUrl,
                MessageBody = body,
                MessageAttributes = new Dictionary<string, MessageAttributeValue>
                {
                    [DeadLetterWriter.ErrorAttribute] = MessageAttributeValue.String($"gave up on {body}"),
                    [DeadLetterWriter.SourceQueueAttribute] = MessageAttributeValue.String($"{Prefix}-requests"),
                },
            });
        }

        var peeked = await RunAsync("dlq", "peek");
        var entries = System.Text.Json.JsonDocument.Parse((await RunAsync("dlq", "peek", "--json")).Output).RootElement;
        var firstId = entries.EnumerateArray().Single(e => e.GetProperty("body").GetString() == "first").GetProperty("sqsMessageId").GetString()!;
        var redriven = await RunAsync("dlq", "redrive", "--id", firstId, "--by", "ops");
        var purged = await RunAsync("dlq", "purge");
        var notFound = await RunAsync("dlq", "redrive", "--id", "no-such-id");

        Assert.Contains("gave up on first", peeked.Output);
        Assert.Equal("redrive: 1 message(s)\n", redriven.Output.ReplaceLineEndings("\n"));
        var requestsUrl = (await queues.UrlOfAsync($"{Prefix}-requests", default)).Value;
        var back = Assert.Single((await sqs.ReceiveMessageAsync(SqsMessageViews.ReceiveAll(requestsUrl, 10, TimeSpan.FromSeconds(1), null))).Messages ?? []);
        Assert.Equal(("first", "ops"), (back.Body, back.StringAttribute(DeadLetterWriter.RedrivenByAttribute)));
        Assert.Equal("purge: 1 message(s)\n", purged.Output.ReplaceLineEndings("\n"));
        Assert.Equal((EngineCommands.BadInput, "redrive: 0 message(s); not found: no-such-id\n"), (notFound.Code, notFound.Output.ReplaceLineEndings("\n")));
    }

    [Fact]
    public async Task Marketing_is_paused_shown_and_resumed()
    {
        var paused = await RunAsync("reputation", "pause", "marketing", "--reason", "complaint spike", "--by", "ops");
        var shown = await RunAsync("reputation", "show", "--json");
        var resumed = await RunAsync("reputation", "resume", "marketing", "--reason", "list cleaned", "--by", "ops");
        var bad = await RunAsync("reputation", "pause", "promos", "--reason", "x");

        Assert.Equal(EngineCommands.Done, paused.Code);
        Assert.Contains("marketing  PAUSED", paused.Output);
        Assert.Contains("\"reason\": \"complaint spike\"", shown.Output);
        Assert.Contains("marketing  resumed", resumed.Output);
        Assert.Equal(EngineCommands.BadInput, bad.Code);
    }
}
