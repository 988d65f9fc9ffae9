using System.CommandLine;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Messaging.Host.Cli;

/// <summary>
/// A running engine's operator API, for the commands that need its actors (the cluster, recipients): the URL from
/// <c>--url</c>, else <c>ENGINE_API_URL</c> (which <c>scripts/run-local.sh</c> records in <c>data/local.env</c>), else
/// <c>http://127.0.0.1:8080</c>; the token from <c>--token</c>, else <c>ENGINE_API_TOKEN</c>, else one signed for the
/// call with the configured secret, as <c>engine token</c> signs them.
/// </summary>
internal static class RunningEngine
{
    public const string DefaultUrl = "http://127.0.0.1:8080";
    public const string UrlVariable = "ENGINE_API_URL";
    public const string TokenVariable = "ENGINE_API_TOKEN";
    private static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(60);

    public static Option<string?> UrlOption() => new("--url") { Description = $"The running engine's operator API (default: {UrlVariable}, else {DefaultUrl})." };

    public static Option<string?> TokenOption() => new("--token") { Description = $"An operator-API token (default: {TokenVariable}, else one signed with the configured secret)." };

    /// <summary>
    /// Calls <paramref name="work"/> with a client for the engine's API. No engine answering, a refused token, or an API
    /// error exits 1 with one line after <paramref name="command"/> (a 400 or 404 exits 2: the input was wrong).
    /// </summary>
    /// <param name="subject">Who a token signed here names (the API records it with a change); the user by default.</param>
    public static async Task<int> CallAsync(
        EngineCommands.CliContext cli, ParseResult parse, string command, string role, string? subject, Func<HttpClient, Task<int>> work,
        CancellationToken cancellationToken)
    {
        // One provider for the whole call: its configuration gives the URL and token, its factory the HTTP client.
        await using var services = cli.Services();
        var configuration = services.GetRequiredService<IConfiguration>();
        var url = parse.GetValue<string?>("--url") ?? configuration[UrlVariable] ?? DefaultUrl;
        var token = parse.GetValue<string?>("--token") ?? configuration[TokenVariable];
        if (token is null && OperatorTokenSigner.Secret(configuration, out var settings) is { } secret)
        {
            token = OperatorTokenSigner.Sign(settings, secret, role, subject ?? Environment.UserName, TimeSpan.FromMinutes(5));
        }

        if (token is null)
        {
            await cli.Error.WriteLineAsync($"{command}: no token: pass --token, set {TokenVariable}, or configure the signing key as for 'engine token'.");
            return EngineCommands.BadInput;
        }

        if (!Uri.TryCreate(url, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https"))
        {
            await cli.Error.WriteLineAsync($"{command}: --url must be an http(s) address, not '{url}'.");
            return EngineCommands.BadInput;
        }

        using var client = services.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(RunningEngine));
        client.BaseAddress = address;
        client.Timeout = CallTimeout;
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        try
        {
            return await work(client);
        }
        catch (HttpRequestException e) when (e.StatusCode is null)
        {
            await cli.Error.WriteLineAsync($"{command}: no engine answers at {address} ({CliText.OneLine(e.Message)}); start one with 'engine run' or pass --url.");
            return EngineCommands.Failed;
        }
    }

    /// <summary>The body of a successful answer, or null after writing the API's problem (one line) to the error stream.</summary>
    public static async Task<(T? Value, int ExitCode)> ReadAsync<T>(
        EngineCommands.CliContext cli, string command, HttpResponseMessage response, CancellationToken cancellationToken) where T : class
    {
        if (response.IsSuccessStatusCode)
        {
            return (await JsonSerializer.DeserializeAsync<T>(await response.Content.ReadAsStreamAsync(cancellationToken), CliText.Json, cancellationToken), EngineCommands.Done);
        }

        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        var detail = body;
        try
        {
            using var problem = JsonDocument.Parse(body);
            detail = problem.RootElement.TryGetProperty("detail", out var d) && d.GetString() is { Length: > 0 } text ? text
                : problem.RootElement.TryGetProperty("title", out var t) ? t.GetString() ?? body : body;
        }
        catch (JsonException)
        {
            // Not Problem Details (a proxy's page): the body as it is.
        }

        await cli.Error.WriteLineAsync($"{command}: {(int)response.StatusCode} {response.ReasonPhrase}: {CliText.OneLine(detail)}");
        return (null, response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.NotFound ? EngineCommands.BadInput : EngineCommands.Failed);
    }
}
