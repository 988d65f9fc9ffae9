using System.Text;
using System.Text.Json;
using Messaging.Contracts.Requests;
using Messaging.Contracts.Status;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients;
using Messaging.Engine.Recipients.Events;
using Messaging.Testing;

namespace Messaging.Engine.Tests.Recipients;

public sealed class RecipientEventSerializerTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 22, 9, 30, 0, TimeSpan.Zero);
    private readonly RecipientEventSerializer _serializer = new();

    private static readonly IRecipientEvent[] Events =
    [
        new RequestAccepted("m1", Category.Marketing, At, At.AddHours(1)),
        new SendIntended("m1", At),
        new Sent("m1", "0100-ses", At),
        new Rejected("m1", "suppressed", At),
        new SendFailed("m1", "MessageRejected", true, At),
        new Delivered("m1", At),
        new Bounced("m1", BounceKind.Transient, At, "mailbox full"),
        new Complained("m1", At, null),
        new Opened("m1", At),
        new Clicked("m1", At, "https://example.com"),
        new Suppressed(SuppressionReason.OptedOut, At, "m1", null, null),
        new Unsuppressed("ops", "asked to", At),
        new SendUnconfirmed("m1", "stopped mid-call", At),
        new DeadLettered("m1", "gave up", 3, At),
        new SendFailed("m1", "429", false, At, Throttled: true),
        new Rejected("m1", "suppressed", At, Suppressed: true),
        new SendIntended("m1", At, "order-shipped@3"),
        new Delivered("m1", At, "fb-1"),
        new Bounced("m1", BounceKind.Permanent, At, "550 user unknown", "fb-2"),
        new Complained("m1", At, "abuse", "fb-3"),
        new Opened("m1", At, "fb-4"),
        new Clicked("m1", At, "https://example.com", "fb-5"),
        new DeliveryDelayed("m1", At, "MailboxFull", "fb-6"),
        new DeliveryFailed("m1", At, "SES rejected the message: Bad content", "fb-7"),
        new MessageRecalled("m1", Category.Marketing, MessageStatus.Delivered, At.AddHours(-6), At, "0100-ses", Opens: 2, Clicks: 1),
        new Redriven("m1", At, "ops@example.com"),
        new Rejected("m1", "template 'x' not found", At, Content: true),
        new ResentAfterUnknown("m1", At, "no provider Send event within 00:10:00; sent once more"),
    ];

    public static TheoryData<IRecipientEvent> EveryEvent() => new(Events);

    [Theory]
    [MemberData(nameof(EveryEvent))]
    public void Every_event_round_trips_under_a_versioned_type_name(IRecipientEvent @event)
    {
        var stored = _serializer.Serialize(@event);

        Assert.Matches(@"^recipient\.[a-z-]+\.v1$", stored.Type);
        Assert.Equal(@event, _serializer.Deserialize(stored.Type, stored.Payload));
    }

    [Fact]
    public void Every_event_type_has_its_own_name()
    {
        var names = Events.Select(e => (e.GetType(), _serializer.Serialize(e).Type)).Distinct().ToList();

        Assert.Equal(names.Count, names.Select(n => n.Type).Distinct().Count());
        Assert.Equal(names.Select(n => n.Type).Order(), _serializer.ReadableTypes.Order());
    }

    [Fact]
    public void The_stored_version_1_history_still_reads_into_the_same_state()
    {
        // Written by the first release. If this test fails, a change broke replay of existing journals: add an
        // upcaster instead of changing the sample.
        var path = Path.Combine(RepositoryLayout.Root, "tests", "Engine.Tests", "Recipients", "Samples", "recipient-events.v1.jsonl");
        var events = File.ReadAllLines(path).Select(line =>
        {
            using var entry = JsonDocument.Parse(line);
            var payload = Encoding.UTF8.GetBytes(entry.RootElement.GetProperty("payload").GetRawText());
            return _serializer.Deserialize(entry.RootElement.GetProperty("type").GetString()!, payload);
        }).ToList();

        var state = RecipientState.Empty.ApplyAll(events);

        Assert.Equal(19, events.Count);
        Assert.Equal(new Suppression(SuppressionReason.Complaint, DateTimeOffset.Parse("2026-11-22T07:00:00Z"), "m1", null, null), state.Suppression);
        Assert.Equal(0, state.ConsecutiveTransientBounces);
        Assert.Equal(["m5", "m4", "m3", "m2", "m1"], state.Recent.Select(m => m.MessageId));
        var m1 = state.Find("m1")!;
        Assert.Equal((MessageStatus.Complained, "0100018f-ses-aaaa", 1, 1, "abuse"), (m1.Status, m1.ProviderMessageId, m1.Opens, m1.Clicks, m1.Reason));
        Assert.Equal((MessageStatus.SoftBounced, Category.Marketing, "452 4.2.2 mailbox full"), (state.Find("m2")!.Status, state.Find("m2")!.Category, state.Find("m2")!.Reason));
        Assert.Equal(MessageStatus.Bounced, state.Find("m3")!.Status);
        Assert.Equal((MessageStatus.Rejected, "recipient is suppressed (complaint)"), (state.Find("m4")!.Status, state.Find("m4")!.Reason));
        Assert.Equal(MessageStatus.Failed, state.Find("m5")!.Status);
        Assert.Equal(1, state.AcceptedOn(Category.Marketing, new DateOnly(2026, 11, 21)));
        Assert.Equal(1, state.AcceptedOn(Category.Transactional, new DateOnly(2026, 11, 21)));
    }

    [Fact]
    public void Unknown_fields_are_ignored_and_missing_optional_fields_take_their_defaults()
    {
        var newer = """{"messageId":"m1","category":"marketing","at":"2026-11-22T09:30:00+00:00","priority":"high"}"""u8.ToArray();

        var read = _serializer.Deserialize("recipient.request-accepted.v1", newer);

        Assert.Equal(new RequestAccepted("m1", Category.Marketing, At, null), read);
    }

    [Fact]
    public void A_payload_missing_a_required_field_is_a_format_error_naming_the_type()
    {
        var failure = Assert.Throws<JournalFormatException>(() =>
            _serializer.Deserialize("recipient.sent.v1", """{"messageId":"m1","at":"2026-11-22T09:30:00+00:00"}"""u8.ToArray()));

        Assert.Contains("recipient.sent.v1", failure.Message);
        Assert.Contains("providerMessageId", failure.Message);
    }

    [Fact]
    public void An_unknown_type_name_is_a_format_error_never_skipped()
    {
        var failure = Assert.Throws<JournalFormatException>(() => _serializer.Deserialize("recipient.teleported.v9", "{}"u8.ToArray()));

        Assert.Contains("recipient.teleported.v9", failure.Message);
    }

    [Fact]
    public void An_upcaster_reads_a_retired_type_name_into_the_current_event()
    {
        // How a change of meaning is handled: the old name stays readable through a converter to the new record.
        var serializer = new RecipientEventSerializer(new Dictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>>
        {
            ["recipient.hard-bounced.v0"] = bytes =>
            {
                using var old = JsonDocument.Parse(bytes);
                return new Bounced(old.RootElement.GetProperty("id").GetString()!, BounceKind.Permanent,
                    old.RootElement.GetProperty("when").GetDateTimeOffset());
            },
        });

        var read = serializer.Deserialize("recipient.hard-bounced.v0", """{"id":"m9","when":"2026-11-22T09:30:00+00:00"}"""u8.ToArray());

        Assert.Equal(new Bounced("m9", BounceKind.Permanent, At, null), read);
        Assert.Throws<ArgumentException>(() => new RecipientEventSerializer(
            new Dictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>> { ["recipient.sent.v1"] = _ => null! }));
    }

    [Fact]
    public void State_round_trips_through_a_snapshot()
    {
        var state = RecipientState.Empty.ApplyAll(
        [
            new RequestAccepted("m1", Category.Marketing, At),
            new Sent("m1", "0100-ses", At),
            new Bounced("m1", BounceKind.Transient, At, "full"),
            new Suppressed(SuppressionReason.Operator, At, null, "ops", "asked"),
        ]);

        var snapshot = _serializer.SerializeState(state);
        var read = _serializer.DeserializeState(snapshot.Type, snapshot.Payload);

        Assert.Equal("recipient.state.v1", snapshot.Type);
        Assert.Equal(state.Suppression, read.Suppression);
        Assert.Equal(state.ConsecutiveTransientBounces, read.ConsecutiveTransientBounces);
        Assert.Equal(state.Recent, read.Recent);
        Assert.Equal(state.AcceptedToday, read.AcceptedToday);
        Assert.Contains("\"marketing\"", Encoding.UTF8.GetString(snapshot.Payload.Span));
    }
}
