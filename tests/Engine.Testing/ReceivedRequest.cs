using System.Text.Json;

namespace Messaging.Testing;

/// <summary>A request <see cref="SmsFixtureServer"/> received, with the result of its checks.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path.</param>
/// <param name="Headers">Headers, names lower-cased.</param>
/// <param name="Body">Body text.</param>
/// <param name="SignatureValid">Whether the SigV4 signature matched one computed from what arrived.</param>
public sealed record ReceivedRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, bool SignatureValid)
{
    /// <summary>The body as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}
