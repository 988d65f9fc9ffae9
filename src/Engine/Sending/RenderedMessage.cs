using Messaging.Contracts.Requests;

namespace Messaging.Engine.Sending;

/// <summary>A message ready for the provider: content made, sender and configuration set resolved.</summary>
/// <param name="Template">The template version it was made from (<c>order-shipped@3</c>); null for inline content.</param>
public sealed record RenderedMessage(
    string MessageId,
    Channel Channel,
    string To,
    string? From,
    string? ConfigurationSet,
    string? Subject,
    string? Html,
    string? Text,
    IReadOnlyDictionary<string, string> Tags,
    string? Template = null);
