using System.Runtime.Serialization;
using Akka.Actor;

namespace Messaging.Engine.Recipients.Entities;

/// <summary>
/// Why a recipient entity could not answer, as its asker receives it on any node: the cause's type and message. Akka.Remote
/// rebuilds an exception on the receiving node only through a serialization constructor, which most causes the entity
/// meets (storage, provider, templates) lack: those would arrive as a failure without a cause.
/// </summary>
public sealed class RecipientEntityException : Exception
{
    public RecipientEntityException(Exception cause)
        : base($"{cause.GetType().Name}: {cause.Message}", cause) { }

    [Obsolete("Only for Akka.Remote's exception support, which rebuilds the exception on the receiving node through it.")]
    private RecipientEntityException(SerializationInfo info, StreamingContext context)
        : base(info, context) { }

    /// <summary>
    /// The answer to an asker for <paramref name="cause"/>: a cancellation (an abandoned wait for the send rate) as it is —
    /// Akka carries it —, anything else wrapped so that its message reaches the asker.
    /// </summary>
    public static Status.Failure Answer(Exception cause) =>
        new(cause is OperationCanceledException or RecipientEntityException ? cause : new RecipientEntityException(cause));
}
