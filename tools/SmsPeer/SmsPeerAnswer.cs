namespace Messaging.SmsPeer;

/// <summary>An answer the peer gives instead of its own (tests use it to script errors, delays and garbage).</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Body">Body text.</param>
/// <param name="Headers">Extra response headers.</param>
/// <param name="Delay">How long to hold the request before answering (until the client gives up, if longer).</param>
public sealed record SmsPeerAnswer(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan Delay = default);
