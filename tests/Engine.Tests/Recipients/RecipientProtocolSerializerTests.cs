using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Configuration;
using Akka.Serialization;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Feedback;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Entities;
using Messaging.Engine.Recipients.Events;
using Messaging.Engine.Tests.Persistence.AkkaPlugin;
using Xunit.Abstractions;
using AkkaTestKit = Akka.TestKit.Xunit2.TestKit;

namespace Messaging.Engine.Tests.Recipients;

/// <summary>
/// What crosses nodes to and from recipient entities goes through the actor system's serialization as configured in
/// <c>config/akka.hocon</c>: every command and answer reaches the other side as an equal value, never through Akka's
/// Newtonsoft default.
/// </summary>
public sealed class RecipientProtocolSerializerTests(ITestOutputHelper output) : AkkaTestKit(ShippedSettings, "protocol", output)
{
    // The shipped settings with remoting (Akka.Remote's serializers, as between nodes) but not the cluster: a member that
    // never joined takes seconds to stop, and nothing here needs membership. No journal either.
    private static readonly Config ShippedSettings = PluginConformanceTests.WithShippedSettings(ConfigurationFactory.ParseString("""
        akka.actor.provider = remote
        akka.persistence.journal.auto-start-journals = []
        akka.persistence.snapshot-store.auto-start-snapshot-stores = []
        """));

    private static readonly RecipientKey Ana = RecipientKey.For(Channel.Email, "ana@example.com");
    private static readonly DateTimeOffset At = new(2026, 11, 30, 12, 0, 0, TimeSpan.FromHours(1));

    private static readonly MessageRequest FullRequest = new()
    {
        MessageId = "m-1", Channel = Channel.Email, To = "Ana@Example.com", Template = "welcome",
        Data = JsonDocument.Parse("""{"name":"Ana","items":[1,2,{"x":null}]}""").RootElement,
        From = "News <news@example.com>", ConfigurationSet = "marketing", Category = Category.Marketing,
        Tags = new Dictionary<string, string> { ["campaign"] = "winter" }, NotBefore = At,
    };

    private static readonly RecipientState SomeState = RecipientState.Empty.ApplyAll(
    [
        new RequestAccepted("m-1", Category.Transactional, At),
        new SendIntended("m-1", At),
        new Sent("m-1", "ses-1", At),
        new Opened("m-1", At, "fb-1"),
        new Suppressed(SuppressionReason.Operator, At, By: "ops@example.com", Note: "asked"),
    ]);

    /// <summary>One value of every type the protocol serializer carries, by type name.</summary>
    private static readonly IReadOnlyDictionary<string, object> Samples = new object[]
    {
        new Deliver(Ana, FullRequest, 2, RedrivenBy: "ops@example.com", LastReceive: true),
        new AbandonDelivery(Ana, "m-1"),
        new RecordProviderFeedback(Ana,
            new ProviderFeedback(FeedbackKind.Bounced, Channel.Email, "ana@example.com", "m-1", "ses-1", At, "fb-2", "marketing", BounceKind.Permanent, "550 no such user"),
            new MessageRecord("m-1", Ana.ToString(), "email", "marketing", "sent", null, "ses-1", At, At.AddMinutes(1), Opens: 2, Clicks: 1)),
        new QueryRecipient(Ana),
        new SuppressByOperator(Ana, "ops@example.com", "asked by phone"),
        new UnsuppressByOperator(Ana, "ops@example.com", "fixed"),
        new RecordRejectedRequest(Ana, "m-2", "invalid request: $.content: missing"),
        StopRecipient.Instance,
        new DeliveryOutcome.Sent("ses-1"),
        new DeliveryOutcome.Duplicate(MessageStatus.SoftBounced),
        new DeliveryOutcome.Rejected("the recipient is suppressed", Suppressed: true),
        new DeliveryOutcome.Failed("MessageRejected: bad address"),
        new DeliveryOutcome.Unconfirmed("timed out"),
        new DeliveryOutcome.Reconciling("timed out", At.AddMinutes(10)),
        new DeliveryOutcome.Scheduled(At.AddHours(1)),
        new DeliveryOutcome.RetryLater("503", TimeSpan.FromSeconds(12.5), 3),
        new DeliveryOutcome.Paused("marketing email is paused: bounce rate", TimeSpan.FromMinutes(5)),
        new DeliveryOutcome.DeadLetter("gave up after 5 attempt(s)", 5, At),
        new RecipientSnapshot(Ana, SomeState, 5),
        SuppressionChange.AlreadySuppressed,
        RejectionOutcome.MessageIdTaken,
    }.ToDictionary(Name);

    public static TheoryData<string> SampleTypes => [.. Samples.Keys];

    private static string Name(object value) => value.GetType().FullName!;

    [Theory]
    [MemberData(nameof(SampleTypes))]
    public void A_recipient_message_or_answer_round_trips_through_the_actor_systems_serialization(string type)
    {
        var sent = Samples[type];
        var serialization = Sys.Serialization;
        var serializer = serialization.FindSerializerFor(sent);

        Assert.IsType<RecipientProtocolSerializer>(serializer);
        var manifest = Serialization.ManifestFor(serializer, sent);
        var received = serialization.Deserialize(serializer.ToBinary(sent), serializer.Identifier, manifest);

        Assert.IsType(sent.GetType(), received);
        Assert.Equivalent(sent, received, strict: true);
        if (sent is Deliver deliver)
        {
            // Equivalence does not look into a JSON element: its text must arrive as sent.
            Assert.Equal(deliver.Request.Data!.Value.GetRawText(), ((Deliver)received).Request.Data!.Value.GetRawText());
        }
    }

    [Fact]
    public void Every_type_the_serializer_carries_has_a_sample_and_a_manifest_of_its_own()
    {
        Assert.Equal(RecipientProtocolSerializer.Types.All.Select(t => t.Clr.FullName!).Order(), Samples.Keys.Order());
        Assert.Equal(RecipientProtocolSerializer.Types.All.Count, RecipientProtocolSerializer.Types.All.Select(t => t.Name).Distinct().Count());
    }

    [Fact]
    public void Every_message_to_a_recipient_entity_and_every_delivery_outcome_is_bound_to_the_protocol_serializer()
    {
        var engine = typeof(IRecipientMessage).Assembly.GetTypes().Where(t => t is { IsAbstract: false, IsInterface: false }).ToList();
        var carried = engine.Where(t => t.IsAssignableTo(typeof(IRecipientMessage)) || t.IsSubclassOf(typeof(DeliveryOutcome))).ToList();

        Assert.NotEmpty(carried);
        Assert.All(carried, type =>
        {
            Assert.True(RecipientProtocolSerializer.Types.TryGet(type, out _), $"{type.Name} has no manifest in RecipientProtocolSerializer.Types");
            Assert.IsType<RecipientProtocolSerializer>(Sys.Serialization.FindSerializerForType(type));
        });
    }

    [Fact]
    public void A_count_answer_goes_through_akkas_primitive_serializer_not_the_newtonsoft_default()
    {
        // Feedback is answered with the number of events written.
        var serializer = Sys.Serialization.FindSerializerForType(typeof(int));

        Assert.IsNotType<NewtonSoftJsonSerializer>(serializer);
        Assert.Equal(3, Sys.Serialization.Deserialize(serializer.ToBinary(3), serializer.Identifier, Serialization.ManifestFor(serializer, 3)));
    }

    [Fact]
    public void A_message_of_an_unknown_manifest_is_refused_with_its_name()
    {
        var serializer = Sys.Serialization.FindSerializerForType(typeof(QueryRecipient));

        var refused = Assert.ThrowsAny<Exception>(() => Sys.Serialization.Deserialize("{}"u8.ToArray(), serializer.Identifier, "deliver.v9"));

        Assert.Contains("deliver.v9", refused.Message);
    }

    /// <summary>Causes an entity meets, by name: most have no serialization constructor, which Akka.Remote needs to rebuild them.</summary>
    private static readonly IReadOnlyDictionary<string, Exception> Causes = new Dictionary<string, Exception>
    {
        ["journal"] = new JournalStorageException("the disk is full", new IOException("no space left")),
        ["sqlite"] = new Microsoft.Data.Sqlite.SqliteException("SQLite Error 19: 'refused'", 19),
        ["provider"] = new HttpRequestException("connection refused"),
        ["template"] = new Messaging.Engine.Templates.TemplateRenderException("welcome: no such variable"),
        ["abandoned"] = new OperationCanceledException("given back to its queue"),
    };

    public static TheoryData<string> CauseNames => [.. Causes.Keys];

    [Theory]
    [MemberData(nameof(CauseNames))]
    public void A_failure_an_entity_answers_reaches_an_asker_on_another_node_with_its_cause(string name)
    {
        var cause = Causes[name];
        var answer = RecipientEntityException.Answer(cause);
        var serializer = Sys.Serialization.FindSerializerFor(answer);

        var received = Assert.IsType<Status.Failure>(
            Sys.Serialization.Deserialize(serializer.ToBinary(answer), serializer.Identifier, Serialization.ManifestFor(serializer, answer)));

        Assert.NotNull(received.Cause);
        Assert.Contains(cause.Message, received.Cause.Message);
        Assert.Equal(answer.Cause.GetType(), received.Cause.GetType());
    }
}
