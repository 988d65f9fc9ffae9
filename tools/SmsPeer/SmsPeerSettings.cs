namespace Messaging.SmsPeer;

/// <summary>How the SMS peer listens and whose signatures it accepts.</summary>
/// <param name="Url">Where to listen, e.g. <c>http://127.0.0.1:0</c> (a free port).</param>
/// <param name="AccessKey">The access key callers sign with.</param>
/// <param name="SecretKey">The secret the peer verifies their signatures with.</param>
/// <param name="Region">The region the credential scope must name.</param>
public sealed record SmsPeerSettings(string Url, string AccessKey, string SecretKey, string Region)
{
    /// <summary>Sends an event record to the feedback queue; returns why it failed, or null. None: events cannot be published.</summary>
    public Func<string, CancellationToken, Task<string?>>? PublishFeedback { get; init; }

    /// <summary>The peer's clock, which a request's X-Amz-Date must be within 15 minutes of.</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
