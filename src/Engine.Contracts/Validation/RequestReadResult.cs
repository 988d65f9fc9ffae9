using Messaging.Contracts.Requests;

namespace Messaging.Contracts.Validation;

/// <summary>
/// The outcome of reading one request body: the request when it is valid, otherwise every problem
/// found. What could be read of the identity (message id, channel and recipient) is kept either
/// way, so a rejection can still be recorded against the recipient.
/// </summary>
public sealed record RequestReadResult
{
    /// <summary>The request, when <see cref="Problems"/> is empty.</summary>
    public MessageRequest? Request { get; init; }

    /// <summary>Every problem found; empty when the request is valid.</summary>
    public IReadOnlyList<ValidationProblem> Problems { get; init; } = [];

    /// <summary>The message id, when it was itself valid.</summary>
    public string? MessageId { get; init; }

    /// <summary>The channel, when it was itself valid.</summary>
    public Channel? Channel { get; init; }

    /// <summary>The recipient address, trimmed, when it was itself valid for <see cref="Channel"/>.</summary>
    public string? To { get; init; }

    /// <summary>True when the request is valid.</summary>
    public bool IsValid => Request is not null;

    /// <summary>All problems on one line each, for logs and DLQ attributes.</summary>
    public string Describe() => string.Join('\n', Problems);
}
