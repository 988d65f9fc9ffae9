using System.Collections.Concurrent;
using Messaging.SmsPeer;
using Xunit;

namespace Messaging.Testing;

/// <summary>
/// The local SMS peer (<c>tools/SmsPeer</c>, the one <c>scripts/run-local.sh</c> runs) hosted in the test process on a
/// free loopback port: strict about the AWS JSON 1.0 wire, the <c>SendTextMessage</c> field rules and the SigV4
/// signature. Tests may script answers (errors, delays, garbage) to exercise the client's error mapping; a scripted
/// answer skips the checks.
/// </summary>
public sealed class SmsFixtureServer : IAsyncLifetime
{
    /// <summary>Access key the fixture accepts.</summary>
    public const string AccessKey = "AKIDSMSFIXTURE";

    /// <summary>Secret key the fixture verifies signatures with.</summary>
    public const string SecretKey = "sms-fixture-secret-key";

    /// <summary>Region the fixture expects in the credential scope.</summary>
    public const string Region = "us-east-1";

    private readonly ConcurrentQueue<ScriptedResponse> _script = new();
    private readonly SmsPeerServer _peer;

    public SmsFixtureServer() =>
        _peer = new SmsPeerServer(new SmsPeerSettings("http://127.0.0.1:0", AccessKey, SecretKey, Region))
        {
            Override = _ => _script.TryDequeue(out var scripted) ? new SmsPeerAnswer(scripted.Status, scripted.Body, scripted.Headers, scripted.Delay) : null,
        };

    /// <summary>The fixture's endpoint.</summary>
    public Uri Endpoint => _peer.Endpoint;

    /// <summary>Requests received so far, in order.</summary>
    public IReadOnlyList<ReceivedRequest> Received =>
        [.. _peer.Requests.Select(r => new ReceivedRequest(r.Method, r.Path, r.Headers, r.Body, r.SignatureProblem is null))];

    /// <summary>The texts the fixture accepted, as its page and <c>GET /store</c> list them.</summary>
    public IReadOnlyList<ReceivedText> Texts => _peer.Texts;

    /// <summary>Answers the next request with <paramref name="response"/>.</summary>
    public void Script(ScriptedResponse response) => _script.Enqueue(response);

    /// <inheritdoc />
    public Task InitializeAsync() => _peer.StartAsync(CancellationToken.None);

    /// <inheritdoc />
    public async Task DisposeAsync() => await _peer.DisposeAsync().ConfigureAwait(false);
}
