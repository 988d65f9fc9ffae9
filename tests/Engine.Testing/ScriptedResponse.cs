namespace Messaging.Testing;

/// <summary>A canned answer for <see cref="SmsFixtureServer"/> to give instead of its own.</summary>
/// <param name="Status">HTTP status.</param>
/// <param name="Body">Body text.</param>
/// <param name="Headers">Extra response headers.</param>
/// <param name="Delay">How long to hold the request before answering (until the client gives up, if longer).</param>
public sealed record ScriptedResponse(int Status, string Body, IReadOnlyDictionary<string, string>? Headers = null, TimeSpan Delay = default)
{
    /// <summary>An AWS JSON 1.0 error, as End User Messaging and SQS send them.</summary>
    public static ScriptedResponse Json10Error(int status, string type, string message, string? reason = null) =>
        new(status, reason is null
            ? $$"""{"__type":"{{type}}","Message":"{{message}}"}"""
            : $$"""{"__type":"{{type}}","Message":"{{message}}","Reason":"{{reason}}"}""");
}
