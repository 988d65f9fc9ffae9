using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Npgsql;
using Xunit;

namespace Messaging.Testing;

/// <summary>
/// A private PostgreSQL cluster for a test run: <c>initdb</c> into a temporary folder, started on a free loopback
/// port, stopped and deleted at the end. Each test asks for a database of its own. When
/// <c>ENGINE_TEST_POSTGRES</c> names a server (an admin connection string), that server is used instead.
/// </summary>
public sealed class PostgresServer : IAsyncLifetime
{
    public const string ServerVariable = "ENGINE_TEST_POSTGRES";

    private string? _dataDirectory;
    private string? _binDirectory;
    private string _adminConnectionString = "";
    private int _databases;
    private bool _started;

    public async Task InitializeAsync()
    {
        var external = Environment.GetEnvironmentVariable(ServerVariable);
        if (!string.IsNullOrWhiteSpace(external))
        {
            _adminConnectionString = external;
            return;
        }

        _binDirectory = FindBinDirectory();
        // The owner's process id in the name tells scripts/stop-stale-postgres.sh whether the run that owns it still lives.
        _dataDirectory = Path.Combine(Path.GetTempPath(), $"messaging-pg-{Environment.ProcessId}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(_dataDirectory);

        // initdb and the server refuse to run as root: run them as the postgres user then.
        var asRoot = Environment.UserName == "root";
        if (asRoot)
        {
            await RunAsync("chown", ["-R", "postgres:postgres", _dataDirectory]);
        }

        await RunPostgresToolAsync(asRoot, "initdb",
            ["-D", _dataDirectory, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"]);
        _adminConnectionString = $"Host=127.0.0.1;Port={await StartOnFreePortAsync(asRoot)};Username=postgres;Database=postgres;Pooling=false";
        _started = true;
    }

    /// <summary>
    /// Starts the server and returns its port. The port is free when picked but may be taken before the server binds it
    /// (other tests open sockets all the time), so a failed start is tried again on another port; the last failure
    /// carries the server's own log.
    /// </summary>
    private async Task<int> StartOnFreePortAsync(bool asRoot)
    {
        const int attempts = 3;
        var log = Path.Combine(_dataDirectory!, "server.log");
        for (var attempt = 1; ; attempt++)
        {
            var port = FreeLoopbackPort();
            try
            {
                await RunPostgresToolAsync(asRoot, "pg_ctl",
                [
                    "-D", _dataDirectory!, "-l", log, "-w", "-t", "60",
                    "-o", $"-p {port} -c listen_addresses=127.0.0.1 -k {_dataDirectory} -c max_connections=300", "start",
                ]);
                return port;
            }
            catch (InvalidOperationException e) when (attempt < attempts)
            {
                Console.Error.WriteLine($"PostgreSQL did not start on port {port} (attempt {attempt} of {attempts}); trying another port.\n{e.Message}\n{LogTail(log)}");
            }
            catch (InvalidOperationException e)
            {
                throw new InvalidOperationException($"{e.Message}\nserver.log ends with:\n{LogTail(log)}", e);
            }
        }
    }

    private static string LogTail(string log)
    {
        try
        {
            return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no server.log)";
        }
        catch (IOException e)
        {
            return $"(server.log unreadable: {e.Message})";
        }
    }

    /// <summary>Creates an empty database and returns a connection string for it.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"test_{Environment.ProcessId}_{Interlocked.Increment(ref _databases)}_{Guid.NewGuid():N}"[..40];
        await using (var connection = new NpgsqlConnection(_adminConnectionString))
        {
            await connection.OpenAsync();
            await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
            await command.ExecuteNonQueryAsync();
        }

        return new NpgsqlConnectionStringBuilder(_adminConnectionString) { Database = name, Pooling = true }.ToString();
    }

    public async Task DisposeAsync()
    {
        if (_dataDirectory is null)
        {
            return;
        }

        NpgsqlConnection.ClearAllPools();
        if (_started)
        {
            await RunPostgresToolAsync(Environment.UserName == "root", "pg_ctl", ["-D", _dataDirectory, "-m", "immediate", "-w", "stop"]);
        }

        Directory.Delete(_dataDirectory, recursive: true);
    }

    private static string FindBinDirectory()
    {
        var candidates = Directory.Exists("/usr/lib/postgresql")
            ? Directory.GetDirectories("/usr/lib/postgresql")
                .Select(d => Path.Combine(d, "bin"))
                .Where(d => File.Exists(Path.Combine(d, "initdb")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0)
                .ToList()
            : [];
        return candidates.Count > 0
            ? candidates[0]
            : throw new InvalidOperationException(
                "No PostgreSQL server is installed (no /usr/lib/postgresql/*/bin/initdb). scripts/test.sh installs it " +
                $"with scripts/install-postgres.sh; or set {ServerVariable} to an admin connection string.");
    }

    private Task RunPostgresToolAsync(bool asRoot, string tool, IReadOnlyList<string> arguments)
    {
        var path = Path.Combine(_binDirectory!, tool);
        return asRoot
            ? RunAsync("runuser", ["-u", "postgres", "--", path, .. arguments])
            : RunAsync(path, arguments);
    }

    private static async Task RunAsync(string fileName, IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo(fileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"{fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{await output}\n{await error}");
        }
    }

    private static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
