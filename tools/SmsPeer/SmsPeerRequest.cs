using System.Text.Json;

namespace Messaging.SmsPeer;

/// <summary>A request the peer received on its AWS API, with the result of its signature check.</summary>
/// <param name="Method">HTTP method.</param>
/// <param name="Path">Request path.</param>
/// <param name="Headers">Headers, names lower-cased.</param>
/// <param name="Body">Body text.</param>
/// <param name="SignatureProblem">Why the SigV4 signature does not hold, or null when it matched one computed from what arrived.</param>
public sealed record SmsPeerRequest(string Method, string Path, IReadOnlyDictionary<string, string> Headers, string Body, string? SignatureProblem)
{
    /// <summary>The body as JSON.</summary>
    public JsonElement Json => JsonDocument.Parse(Body).RootElement.Clone();
}
