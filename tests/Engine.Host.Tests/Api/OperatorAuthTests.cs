using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Messaging.Testing;

namespace Messaging.Host.Tests.Api;

/// <summary>
/// The operator API's bearer authentication as an attacker probes it: forged algorithms, tokens without expiry, clock
/// skew, issuers and roles. Each refusal is a Problem Details body that says what to change.
/// </summary>
public sealed class OperatorAuthTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly Uri Reputation = new("/reputation", UriKind.Relative);

    private static async Task<string> RefusalAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == expected, $"expected {expected}, got {response.StatusCode}: {text}");
        var problem = JsonDocument.Parse(text).RootElement;
        Assert.Equal((int)expected, problem.GetProperty("status").GetInt32());
        return problem.GetProperty("detail").GetString()!;
    }

    private static string Header(string alg) => $$"""{"alg":"{{alg}}","typ":"JWT"}""";

    [Fact]
    public async Task Tokens_with_an_algorithm_other_than_hs256_or_rs256_are_refused_as_such_and_an_rsa_public_key_is_no_hmac_secret()
    {
        using var rsa = RSA.Create(2048);
        var pem = Path.Combine(Path.GetTempPath(), $"ops-{Guid.NewGuid():N}.pem");
        await File.WriteAllTextAsync(pem, rsa.ExportSubjectPublicKeyInfoPem());
        try
        {
            await using var host = await OperatorHost.StartAsync(peers, ("Host:Auth:RsaPublicKeyFiles:0", pem));
            var secret = Encoding.UTF8.GetBytes(OperatorTokens.Secret);

            var none = OperatorTokens.Forge(Header("none"), OperatorTokens.Claims(), sign: null);
            var hs512 = OperatorTokens.Forge(Header("HS512"), OperatorTokens.Claims(), data => HMACSHA512.HashData(secret, data));
            // Algorithm confusion: the public key (which anyone may hold) used as an HMAC secret.
            var confused = OperatorTokens.Forge(Header("HS256"), OperatorTokens.Claims(),
                data => HMACSHA256.HashData(Encoding.UTF8.GetBytes(rsa.ExportSubjectPublicKeyInfoPem()), data));
            var honest = OperatorTokens.Forge(Header("HS256"), OperatorTokens.Claims(), data => HMACSHA256.HashData(secret, data));

            Assert.Equal("the token's signing algorithm 'none' is not accepted (HS256 or RS256)",
                await RefusalAsync(await host.Client(token: none).GetAsync(Reputation), HttpStatusCode.Unauthorized));
            Assert.Equal("the token's signing algorithm 'HS512' is not accepted (HS256 or RS256)",
                await RefusalAsync(await host.Client(token: hs512).GetAsync(Reputation), HttpStatusCode.Unauthorized));
            Assert.Equal("the token's signature does not verify with any configured key",
                await RefusalAsync(await host.Client(token: confused).GetAsync(Reputation), HttpStatusCode.Unauthorized));
            Assert.Equal(HttpStatusCode.OK, (await host.Client(token: honest).GetAsync(Reputation)).StatusCode);
        }
        finally
        {
            File.Delete(pem);
        }
    }

    [Fact]
    public async Task A_token_must_expire_and_one_expired_within_the_30_second_skew_still_passes()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var secret = Encoding.UTF8.GetBytes(OperatorTokens.Secret);
        string Signed(string claims) => OperatorTokens.Forge(Header("HS256"), claims, data => HMACSHA256.HashData(secret, data));

        var endless = Signed(OperatorTokens.Claims(withExpiry: false));
        var justExpired = Signed(OperatorTokens.Claims(expiresIn: TimeSpan.FromSeconds(-10)));
        var longExpired = Signed(OperatorTokens.Claims(expiresIn: TimeSpan.FromSeconds(-60)));

        Assert.Equal("the token has no expiry ('exp'); tokens must expire",
            await RefusalAsync(await host.Client(token: endless).GetAsync(Reputation), HttpStatusCode.Unauthorized));
        Assert.Equal(HttpStatusCode.OK, (await host.Client(token: justExpired).GetAsync(Reputation)).StatusCode);
        Assert.StartsWith("the token expired at ",
            await RefusalAsync(await host.Client(token: longExpired).GetAsync(Reputation), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task A_configured_issuer_is_checked()
    {
        await using var host = await OperatorHost.StartAsync(peers, ("Host:Auth:Issuer", "ops-idp"));

        Assert.Equal(HttpStatusCode.OK, (await host.Client(token: OperatorTokens.Hs256("reader", issuer: "ops-idp")).GetAsync(Reputation)).StatusCode);
        Assert.Equal("the token's issuer 'elsewhere' is not accepted",
            await RefusalAsync(await host.Client(token: OperatorTokens.Hs256("reader", issuer: "elsewhere")).GetAsync(Reputation), HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task A_token_without_a_role_is_told_that_reading_needs_the_reader_role()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var secret = Encoding.UTF8.GetBytes(OperatorTokens.Secret);
        var roleless = OperatorTokens.Forge(Header("HS256"), OperatorTokens.Claims(role: null), data => HMACSHA256.HashData(secret, data));

        Assert.Equal("this needs the 'reader' role (or 'operator'); the token has no 'role' claim",
            await RefusalAsync(await host.Client(token: roleless).GetAsync(Reputation), HttpStatusCode.Forbidden));
        Assert.Equal("this needs the 'reader' role (or 'operator'); the token's role is 'auditor'",
            await RefusalAsync(await host.Client("auditor").GetAsync(Reputation), HttpStatusCode.Forbidden));
    }

    [Fact]
    public async Task A_refusal_the_engine_does_not_describe_does_not_leak_the_libraries_text()
    {
        await using var host = await OperatorHost.StartAsync(peers);
        var secret = Encoding.UTF8.GetBytes(OperatorTokens.Secret);
        var now = DateTimeOffset.UtcNow;
        // Valid before it starts: the library refuses its lifetime with a message quoting both instants.
        var claims = $$"""{"sub":"ops@example.com","aud":"{{OperatorTokens.Audience}}","role":"reader","nbf":{{now.AddHours(2).ToUnixTimeSeconds()}},"exp":{{now.AddHours(1).ToUnixTimeSeconds()}}}""";
        var backwards = OperatorTokens.Forge(Header("HS256"), claims, data => HMACSHA256.HashData(secret, data));

        Assert.Equal("the token was refused",
            await RefusalAsync(await host.Client(token: backwards).GetAsync(Reputation), HttpStatusCode.Unauthorized));
    }
}
