using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Messaging.Testing;

/// <summary>
/// The real local SQS (<c>local-aws-sqs</c>) and SES v2 (<c>aws-ses-v2-local</c>) peers, started for
/// a test class on free loopback ports and stopped after it. Installed by <c>tools/local-aws</c>
/// (the test script runs <c>npm ci</c> there).
/// </summary>
public sealed class LocalAwsPeers : IAsyncLifetime
{
    private Process? _process;

    /// <summary>SQS endpoint.</summary>
    public Uri SqsEndpoint { get; private set; } = null!;

    /// <summary>SES v2 endpoint (also its web UI).</summary>
    public Uri SesEndpoint { get; private set; } = null!;

    /// <summary>The SES peer's <c>MaxSendRate</c>, which <c>GetAccount</c> reports.</summary>
    public int SesMaxSendRate { get; init; } = 14;

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        var folder = RepositoryLayout.PathOf("tools", "local-aws");
        if (!Directory.Exists(Path.Combine(folder, "node_modules", "local-aws-sqs")))
        {
            throw new InvalidOperationException(
                $"The local AWS peers are not installed in {folder}. Run ./scripts/test.sh, or 'npm ci' in that folder.");
        }

        var start = new ProcessStartInfo("node", ["peers.mjs", "--sqs-port", "0", "--ses-port", "0", "--exit-with-stdin"])
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["LOCAL_SES_MAX_SEND_RATE"] = SesMaxSendRate.ToString(System.Globalization.CultureInfo.InvariantCulture);
        _process = Process.Start(start) ?? throw new InvalidOperationException("node did not start.");

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await _process.StandardOutput.ReadLineAsync(timeout.Token).ConfigureAwait(false);
        if (line is null)
        {
            var error = await _process.StandardError.ReadToEndAsync(timeout.Token).ConfigureAwait(false);
            throw new InvalidOperationException($"The local AWS peers exited before listening: {error}");
        }

        using var endpoints = JsonDocument.Parse(line);
        SqsEndpoint = new Uri(endpoints.RootElement.GetProperty("sqs").GetString()!);
        SesEndpoint = new Uri(endpoints.RootElement.GetProperty("ses").GetString()!);
    }

    /// <summary>Every email the SES peer has stored.</summary>
    public async Task<IReadOnlyList<JsonElement>> StoredEmailsAsync(CancellationToken cancellationToken = default)
    {
        using var http = new HttpClient();
        using var store = await http.GetFromJsonAsync<JsonDocument>(new Uri(SesEndpoint, "/store"), cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException("The SES peer's store answered null.");
        return store.RootElement.GetProperty("emails").EnumerateArray().Select(e => e.Clone()).ToArray();
    }

    /// <inheritdoc />
    public async Task DisposeAsync()
    {
        if (_process is null)
        {
            return;
        }

        if (!_process.HasExited)
        {
            _process.StandardInput.Close();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(timeout.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
            }
        }

        _process.Dispose();
    }
}
