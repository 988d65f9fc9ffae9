using System.Collections.Frozen;
using System.Text.Json;
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

    private static readonly StableTypeNames Current = new(
    [
        new(typeof(RequestAccepted), "recipient.request-accepted.v1", Json.RequestAccepted),
        new(typeof(SendIntended), "recipient.send-intended.v1", Json.SendIntended),
        new(typeof(Sent), "recipient.sent.v1", Json.Sent),
        new(typeof(Rejected), "recipient.rejected.v1", Json.Rejected),
        new(typeof(SendFailed), "recipient.send-failed.v1", Json.SendFailed),
        new(typeof(Delivered), "recipient.delivered.v1", Json.Delivered),
        new(typeof(Bounced), "recipient.bounced.v1", Json.Bounced),
        new(typeof(Complained), "recipient.complained.v1", Json.Complained),
        new(typeof(Opened), "recipient.opened.v1", Json.Opened),
        new(typeof(Clicked), "recipient.clicked.v1", Json.Clicked),
        new(typeof(Suppressed), "recipient.suppressed.v1", Json.Suppressed),
        new(typeof(Unsuppressed), "recipient.unsuppressed.v1", Json.Unsuppressed),
        new(typeof(SendUnconfirmed), "recipient.send-unconfirmed.v1", Json.SendUnconfirmed),
        new(typeof(DeadLettered), "recipient.dead-lettered.v1", Json.DeadLettered),
        new(typeof(DeliveryDelayed), "recipient.delivery-delayed.v1", Json.DeliveryDelayed),
        new(typeof(DeliveryFailed), "recipient.delivery-failed.v1", Json.DeliveryFailed),
        new(typeof(MessageRecalled), "recipient.message-recalled.v1", Json.MessageRecalled),
        new(typeof(Redriven), "recipient.redriven.v1", Json.Redriven),
        new(typeof(ResentAfterUnknown), "recipient.resent-after-unknown.v1", Json.ResentAfterUnknown),
    ]);

    private readonly FrozenDictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>> _readers;

    public RecipientEventSerializer()
        : this(new Dictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>>()) { }

    /// <param name="upcasters">Readers for retired type names, each producing a current event.</param>
    public RecipientEventSerializer(IReadOnlyDictionary<string, Func<ReadOnlyMemory<byte>, IRecipientEvent>> upcasters)
    {
        var readers = Current.All.ToDictionary(
            c => c.Name,
            c => (Func<ReadOnlyMemory<byte>, IRecipientEvent>)(bytes => (IRecipientEvent)c.Read(bytes.Span)));
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
        return new NewEvent(writer.Name, writer.Write(@event));
    }

    /// <summary>The stored type name of <paramref name="event"/>, without serializing it (Akka asks for it apart).</summary>
    public string TypeNameOf(IRecipientEvent @event) => WriterOf(@event).Name;

    private static StableType WriterOf(IRecipientEvent @event) =>
        Current.TryGet(@event.GetType(), out var writer)
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
