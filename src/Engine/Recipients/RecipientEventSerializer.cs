using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Messaging.Engine.Persistence;
using Messaging.Engine.Recipients.Events;

namespace Messaging.Engine.Recipients;

/// <summary>
/// Turns recipient events and state into journal entries and back. Each event type is stored under an explicit,
/// versioned name from the table below, never its CLR name, so a class can be renamed or moved without breaking replay.
/// </summary>
/// <remarks>
/// Evolving an event: adding an optional field needs nothing (old payloads read with the default). Changing a
/// meaning: add a new record with a new name (<c>….v2</c>), keep writing only the new one, and register an upcaster
/// that reads the old name into the new record. Never change what an existing name means. The stored sample under
/// <c>tests/Engine.Tests/Recipients/Samples</c> must always read.
/// </remarks>
public sealed class RecipientEventSerializer
{
    public const string StateType = "recipient.state.v1";

    private static readonly RecipientJsonContext Json = RecipientJsonContext.Default;

    private static readonly (Type Clr, string Name, JsonTypeInfo Info)[] Current =
    [
        (typeof(RequestAccepted), "recipient.request-accepted.v1", Json.RequestAccepted),
        (typeof(SendIntended), "recipient.send-intended.v1", Json.SendIntended),
        (typeof(Sent), "recipient.sent.v1", Json.Sent),
        (typeof(Rejected), "recipient.rejected.v1", Json.Rejected),
        (typeof(SendFailed), "recipient.send-failed.v1", Json.SendFailed),
        (typeof(Delivered), "recipient.delivered.v1", Json.Delivered),
        (typeof(Bounced), "recipient.bounced.v1", Json.Bounced),
        (typeof(Complained), "recipient.complained.v1", Json.Complained),
        (typeof(Opened), "recipient.opened.v1", Json.Opened),
        (typeof(Clicked), "recipient.clicked.v1", Json.Clicked),
        (typeof(Suppressed), "recipient.suppressed.v1", Json.Suppressed),
        (typeof(Unsuppressed), "recipient.unsuppressed.v1", Json.Unsuppressed),
        (typeof(SendUnconfirmed), "recipient.send-unconfirmed.v1", Json.SendUnconfirmed),
        (typeof(DeadLettered), "recipient.dead-lettered.v1", Json.DeadLettered),
        (typeof(DeliveryDelayed), "recipient.delivery-delayed.v1", Json.DeliveryDelayed),
        (typeof(DeliveryFailed), "recipient.delivery-failed.v1", Json.DeliveryFailed),
        (typeof(MessageRecalled), "recipient.message-recalled.v1", Json.MessageRecalled),
        (typeof(Redriven), "recipient.redriven.v1", Json.Redriven),
        (typeof(ResentAfterUnknown), "recipient.resent-after-unknown.v1", Json.ResentAfterUnknown),
    ];

    private readonly FrozenDictionary<Type, (string Name, JsonTypeInfo Info)> _writers;
    private readonly FrozenDictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>> _readers;

    public RecipientEventSerializer()
        : this(new Dictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>>()) { }

    /// <param name="upcasters">Readers for retired type names, each producing a current event.</param>
    public RecipientEventSerializer(IReadOnlyDictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>> upcasters)
    {
        _writers = Current.ToFrozenDictionary(c => c.Clr, c => (c.Name, c.Info));
        var readers = Current.ToDictionary(
            c => c.Name,
            c => (Func<ReadOnlyMemory<byte>, IRecipientEvent>)(bytes =>
                (IRecipientEvent)(JsonSerializer.Deserialize(bytes.Span, c.Info)
                    ?? throw new JsonException($"A {c.Name} payload was null."))));
        foreach (var (name, upcast) in upcasters)
        {
            if (!readers.TryAdd(name, upcast))
            {
                throw new ArgumentException($"{name} is a current event type; an upcaster may only read retired ones.", nameof(upcasters));
            }
        }

        _readers = readers.ToFrozenDictionary();
    }

    /// <summary>Every type name this build can read.</summary>
    public IEnumerable<string> ReadableTypes => _readers.Keys;

    public NewEvent Serialize(IRecipientEvent @event)
    {
        var writer = WriterOf(@event);
        return new NewEvent(writer.Name, JsonSerializer.SerializeToUtf8Bytes(@event, writer.Info));
    }

    /// <summary>The stored type name of <paramref name="event"/>, without serializing it (Akka asks for it apart).</summary>
    public string TypeNameOf(IRecipientEvent @event) => WriterOf(@event).Name;

    private (string Name, JsonTypeInfo Info) WriterOf(IRecipientEvent @event) =>
        _writers.TryGetValue(@event.GetType(), out var writer)
            ? writer
            : throw new ArgumentException($"{@event.GetType().Name} has no journal type name.", nameof(@event));

    public IRecipientEvent Deserialize(string type, ReadOnlyMemory<byte> payload)
    {
        if (!_readers.TryGetValue(type, out var read))
        {
            throw new JournalFormatException(
                $"The journal holds an event of type '{type}', which this build cannot read. Was it written by a newer version?");
        }

        try
        {
            return read(payload);
        }
        catch (JsonException e)
        {
            throw new JournalFormatException($"A stored '{type}' event could not be read: {e.Message}", e);
        }
    }

    public NewEvent SerializeState(RecipientState state) =>
        new(StateType, JsonSerializer.SerializeToUtf8Bytes(state, Json.RecipientState));

    public RecipientState DeserializeState(string type, ReadOnlyMemory<byte> payload)
    {
        if (type != StateType)
        {
            throw new JournalFormatException($"The snapshot has type '{type}', which this build cannot read.");
        }

        try
        {
            return JsonSerializer.Deserialize(payload.Span, Json.RecipientState)
                ?? throw new JsonException("The snapshot payload was null.");
        }
        catch (JsonException e)
        {
            throw new JournalFormatException($"A stored '{type}' snapshot could not be read: {e.Message}", e);
        }
    }
}
