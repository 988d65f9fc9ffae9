using System.Collections.Concurrent;

namespace Messaging.Testing;

/// <summary>Records each outgoing request exactly as it leaves the client, then passes it on.</summary>
public sealed class RecordingHandler : DelegatingHandler
{
    private readonly ConcurrentQueue<SentRequest> _requests = new();

    /// <summary>Requests sent so far, in order.</summary>
    public IReadOnlyList<SentRequest> Requests => [.. _requests];

    /// <inheritdoc />
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var body = request.Content is null ? string.Empty : await request.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
        _requests.Enqueue(new SentRequest(
            request.Method.Method,
            request.RequestUri!.AbsolutePath,
            request.Content?.Headers.ContentType?.MediaType,
            request.Headers.TryGetValues("Authorization", out var authorization) ? authorization.Single() : string.Empty,
            body));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}

/// <summary>One recorded request.</summary>
public sealed record SentRequest(string Method, string Path, string? ContentType, string Authorization, string Body);
