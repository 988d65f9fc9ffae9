using System.Text;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Templates;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Templates;

/// <summary>Templated requests end to end: SQS → engine (store, catalog, render) → the SES peer.</summary>
public sealed class TemplateDeliveryTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    /// <summary>The bound: a new current version is used by every node within 5 s, without a restart.</summary>
    private static readonly TimeSpan FreshnessBound = TimeSpan.FromSeconds(5);

    private static TemplateDraft Order(string subject, string html) => new(TemplateKind.Template, "order-shipped", new TemplateDefinition(
        Channel.Email, subject, html, From: "orders@shop.example", ConfigurationSet: "transactional-pool",
        Variables: [new TemplateVariable("name"), new TemplateVariable("orderId"), new TemplateVariable("total")]));

    private static TemplateDraft Footer(string html) => new(TemplateKind.Partial, "footer", new TemplateDefinition(Html: html));

    private static string Request(string messageId, string to, string data) =>
        $$$"""{"schema":"messaging.request.v1","messageId":"{{{messageId}}}","channel":"email","to":"{{{to}}}","template":"order-shipped","data":{{{data}}}}""";

    private static async Task<MessageRecord> SettledAsync(EngineUnderTest engine, string messageId, string status)
    {
        var journal = engine.Services.GetRequiredService<IJournal>();
        MessageRecord? record = null;
        await AwaitCondition.UntilAsync(async () => (record = await journal.FindMessageAsync(messageId, default))?.Status == status,
            Deadline, $"{messageId} becomes {status}");
        return record!;
    }

    private static async Task<JsonElement> EmailToAsync(LocalAwsPeers peers, EngineUnderTest engine, string to)
    {
        JsonElement? found = null;
        await AwaitCondition.UntilAsync(async () =>
        {
            found = (await engine.SentEmailsAsync(peers)).Cast<JsonElement?>()
                .FirstOrDefault(e => e!.Value.GetProperty("destination").GetProperty("to")[0].GetString() == to);
            return found is not null;
        }, Deadline, $"an email reaches {to}");
        return found!.Value;
    }

    [Fact]
    public async Task A_templated_request_is_rendered_with_its_data_escaped_and_sent_with_the_template_sender_and_configuration_set()
    {
        var recorder = new RecordingHandler();
        await using var engine = await EngineUnderTest.StartAsync(peers, providerHandler: () => recorder);
        var store = engine.Services.GetRequiredService<ITemplateStore>();
        await store.PushAsync([Order("Order {{ orderId }} shipped", "<p>Hi {{ name }}, total {{ formatCurrency total \"EUR\" }}</p>{{ include \"footer\" }}"), Footer("<footer>Shop</footer>")], "test", default);
        var to = engine.Address("ana");

        await engine.EnqueueAsync([Request("tpl-1", to, """{"name":"<b>Ana</b>","orderId":"A-1","total":12.5}""")]);

        var email = await EmailToAsync(peers, engine, to);
        Assert.Equal("Order A-1 shipped", email.GetProperty("subject").GetString());
        Assert.Equal("<p>Hi &lt;b&gt;Ana&lt;/b&gt;, total €12.50</p><footer>Shop</footer>", email.GetProperty("body").GetProperty("html").GetString());
        Assert.Equal("Hi <b>Ana</b>, total €12.50\n\nShop", email.GetProperty("body").GetProperty("text").GetString());
        Assert.Equal("orders@shop.example", email.GetProperty("from").GetString());
        var call = recorder.Requests.Single(r => r.Path.EndsWith("/outbound-emails", StringComparison.Ordinal) && r.Body.Contains(to, StringComparison.Ordinal));
        Assert.Equal("transactional-pool", JsonDocument.Parse(call.Body).RootElement.GetProperty("ConfigurationSetName").GetString());

        // The journal says which version made the message.
        var key = RecipientKey.For(Channel.Email, to).ToString();
        var events = await engine.Services.GetRequiredService<IJournal>().ReadEntityEventsAsync(key, 0, default);
        Assert.Contains(events, e => Encoding.UTF8.GetString(e.Payload.Span).Contains("\"template\":\"order-shipped@1\"", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_required_variable_is_recorded_as_rejected_naming_it_acked_and_not_dead_lettered()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers);
        await engine.Services.GetRequiredService<ITemplateStore>().PushAsync([Order("Order {{ orderId }}", "<p>{{ name }} {{ total }}</p>")], "test", default);
        var to = engine.Address("bo");

        await engine.EnqueueAsync([Request("tpl-missing", to, """{"name":"Bo","total":1}""")]);

        var record = await SettledAsync(engine, "tpl-missing", "rejected");
        Assert.Equal("template 'order-shipped' (v1) needs 'orderId' in data; the request has no value for it", record.Reason);
        await AwaitCondition.UntilAsync(async () => await engine.QueueDepthAsync(engine.RequestQueueUrl) == 0, Deadline, "the request is acked");
        Assert.Empty(await engine.TakeDeadLettersAsync());
        Assert.Empty(await engine.SentEmailsAsync(peers));
    }

    [Fact]
    public async Task A_new_version_a_changed_partial_and_a_rollback_reach_a_second_engine_on_the_same_database_without_a_restart()
    {
        await using var first = await EngineUnderTest.StartAsync(peers);
        var sharedDatabase = first.Services.GetRequiredService<IJournal>().Description["SQLite at ".Length..];
        await using var second = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?> { ["Engine:Persistence:SqlitePath"] = sharedDatabase });
        var store = first.Services.GetRequiredService<ITemplateStore>();
        var secondCatalog = second.Services.GetRequiredService<TemplateCatalog>();
        const string data = """{"name":"Ana","orderId":"A-1","total":3}""";

        async Task<JsonElement> SendThroughSecondAsync(string id)
        {
            var to = second.Address(id);
            await second.EnqueueAsync([Request(id, to, data)]);
            return await EmailToAsync(peers, second, to);
        }

        async Task PublishAsync(Func<Task> change)
        {
            await change();
            var revision = await store.RevisionAsync(default);
            // Only the background refresh can bring it: the second engine already knows the template's name.
            await AwaitCondition.UntilAsync(() => Task.FromResult(secondCatalog.Revision >= revision), FreshnessBound,
                $"the second engine sees revision {revision} within {FreshnessBound.TotalSeconds} s");
        }

        // Pushed through the first engine; the second has never seen the name, so it looks at once.
        await store.PushAsync([Order("v1 {{ orderId }}", "<p>{{ name }} {{ total }}</p>{{ include \"footer\" }}"), Footer("<footer>old footer</footer>")], "test", default);
        var v1 = await SendThroughSecondAsync("fresh-1");
        Assert.Equal("v1 A-1", v1.GetProperty("subject").GetString());

        await PublishAsync(() => store.PushAsync([Order("v2 {{ orderId }}", "<p>{{ name }} {{ total }}</p>{{ include \"footer\" }}")], "test", default));
        Assert.Equal("v2 A-1", (await SendThroughSecondAsync("fresh-2")).GetProperty("subject").GetString());

        await PublishAsync(() => store.PushAsync([Footer("<footer>new footer</footer>")], "test", default));
        var afterFooter = await SendThroughSecondAsync("fresh-3");
        Assert.EndsWith("<footer>new footer</footer>", afterFooter.GetProperty("body").GetProperty("html").GetString());

        await PublishAsync(() => store.MakeCurrentAsync(TemplateKind.Template, "order-shipped", 1, default));
        var rolledBack = await SendThroughSecondAsync("fresh-4");
        Assert.Equal("v1 A-1", rolledBack.GetProperty("subject").GetString());
        Assert.EndsWith("<footer>new footer</footer>", rolledBack.GetProperty("body").GetProperty("html").GetString());
    }

    [Fact]
    public async Task An_sms_template_over_the_segment_limit_is_rejected_with_its_count_and_encoding()
    {
        await using var engine = await EngineUnderTest.StartAsync(peers, new Dictionary<string, string?> { ["Engine:Sending:SmsMaxSegments"] = "1" });
        await engine.Services.GetRequiredService<ITemplateStore>().PushAsync(
            [new TemplateDraft(TemplateKind.Template, "code", new TemplateDefinition(Channel.Sms, Text: "{{ text }}", Variables: [new TemplateVariable("text")]))], "test", default);

        await engine.EnqueueAsync([$$$"""{"schema":"messaging.request.v1","messageId":"sms-long","channel":"sms","to":"+15550100","template":"code","data":{"text":"Olá 😀 {{{new string('x', 70)}}}"}}"""]);

        var record = await SettledAsync(engine, "sms-long", "rejected");
        Assert.Equal("the SMS takes 2 segments (77 UCS-2 code units, because of 'á'), more than Engine:Sending:SmsMaxSegments allows (1)", record.Reason);
        Assert.Empty(await engine.TakeDeadLettersAsync());
    }
}
