using Messaging.Contracts.Requests;

namespace Messaging.Engine.Sending;

/// <summary>A message ready for the provider: content made, sender and configuration set resolved.</summary>
public sealed record RenderedMessage(
    string MessageId,
    Channel Channel,
    string To,
    string? From,
    string? ConfigurationSet,
    string? Subject,
    string? Html,
    string? Text,
    IReadOnlyDictionary<string, string> Tags);
