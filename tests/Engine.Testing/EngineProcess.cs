using System.Diagnostics;
using System.Text;

namespace Messaging.Testing;

/// <summary>
/// The engine host as a real process (<c>dotnet Engine.Host.dll run</c>), configured through environment variables
/// as an operator would, so a test can kill it hard (SIGKILL) and start it again.
/// </summary>
public sealed class EngineProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private EngineProcess(Process process) => _process = process;

    /// <summary>Everything the process wrote, for failure messages.</summary>
    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <param name="urls">Where it listens; by default a free loopback port.</param>
    public static EngineProcess Start(string hostAssembly, IReadOnlyDictionary<string, string> environment, string urls = "http://127.0.0.1:0")
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(hostAssembly)!,
        };
        start.ArgumentList.Add(hostAssembly);
        start.ArgumentList.Add("run");
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add(urls);
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start the engine process.");
        var engine = new EngineProcess(process);
        process.OutputDataReceived += (_, e) => engine.Append(e.Data);
        process.ErrorDataReceived += (_, e) => engine.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return engine;
    }

    /// <summary>
    /// What every engine process in a test is given: the local peers' credentials and endpoints, the dead-letter and
    /// feedback queues named after <paramref name="prefix"/>, and a short visibility timeout so what a killed process
    /// held reappears soon. Callers add their store, request queues and rates.
    /// </summary>
    public static Dictionary<string, string> PeerEnvironment(LocalAwsPeers peers, Uri sesEndpoint, string prefix) => new()
    {
        ["AWS_ACCESS_KEY_ID"] = SmsFixtureServer.AccessKey,
        ["AWS_SECRET_ACCESS_KEY"] = SmsFixtureServer.SecretKey,
        ["AWS_REGION"] = SmsFixtureServer.Region,
        ["Engine__Aws__SqsEndpoint"] = peers.SqsEndpoint.ToString(),
        ["Engine__Aws__SesEndpoint"] = sesEndpoint.ToString(),
        ["Engine__Ingest__DeadLetterQueue"] = $"{prefix}-dlq",
        ["Engine__Ingest__FeedbackQueue"] = $"{prefix}-feedback",
        ["Engine__Ingest__FeedbackDeadLetterQueue"] = $"{prefix}-feedback-dlq",
        ["Engine__Ingest__WaitTime"] = "00:00:01",
        ["Engine__Ingest__VisibilityTimeout"] = "00:00:05",
        ["Engine__Sending__DefaultEmailFrom"] = "shop@example.com",
    };

    /// <summary>
    /// <see cref="PeerEnvironment"/> for a node of a cluster on the PostgreSQL <paramref name="database"/>; with
    /// <see cref="JoinAkkaCluster"/> it joins the others.
    /// </summary>
    public static Dictionary<string, string> ClusterNodeEnvironment(LocalAwsPeers peers, Uri sesEndpoint, string prefix, string database)
    {
        var environment = PeerEnvironment(peers, sesEndpoint, prefix);
        environment["Engine__Persistence__Provider"] = "Postgres";
        environment["Engine__Persistence__PostgresConnectionString"] = database;
        return environment;
    }

    /// <summary>
    /// Makes <paramref name="environment"/> a node of one Akka cluster, as an operator would: its remoting port, and the
    /// seed nodes it joins (all on loopback), through the <c>AKKA__…</c> environment overrides.
    /// </summary>
    public static void JoinAkkaCluster(Dictionary<string, string> environment, int remotingPort, IReadOnlyList<int> seedPorts)
    {
        environment["AKKA__REMOTE__DOT_NETTY__TCP__PORT"] = remotingPort.ToString(System.Globalization.CultureInfo.InvariantCulture);
        for (var i = 0; i < seedPorts.Count; i++)
        {
            environment[$"AKKA__CLUSTER__SEED_NODES__{i}"] = $"akka.tcp://engine@127.0.0.1:{seedPorts[i]}";
        }
    }

    /// <summary>A loopback TCP port free a moment ago (the system chose it for a listener bound to port 0, then closed).</summary>
    public static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>
    /// SIGTERM, as systemd or Kubernetes stops a node: the host's shutdown runs (in-flight sends finish, the node
    /// leaves the cluster). Returns the exit code.
    /// </summary>
    public async Task<int> StopAsync(TimeSpan deadline)
    {
        if (!_process.HasExited)
        {
            using var signal = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await signal.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(deadline);
            await _process.WaitForExitAsync(timeout.Token);
        }

        return _process.ExitCode;
    }

    public bool HasExited => _process.HasExited;

    /// <summary>Waits for the process to end on its own; returns the exit code.</summary>
    /// <exception cref="TimeoutException">It did not end in time: the message carries the end of its log.</exception>
    public async Task<int> ExitedAsync(TimeSpan deadline)
    {
        using var timeout = new CancellationTokenSource(deadline);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            throw new TimeoutException($"The engine process did not exit within {deadline.TotalSeconds:0} s. The end of its log (debug entries left out):\n{LogTail(80)}");
        }

        return _process.ExitCode;
    }

    /// <summary>The last <paramref name="lines"/> lines of the log without its debug entries (a header line and its message line each).</summary>
    private string LogTail(int lines)
    {
        var kept = new List<string>();
        var skipNext = false;
        foreach (var line in Output.Split('\n'))
        {
            if (line.Contains("dbug: ", StringComparison.Ordinal))
            {
                skipNext = true;
                continue;
            }

            if (!skipNext)
            {
                kept.Add(line);
            }

            skipNext = false;
        }

        return string.Join('\n', kept.TakeLast(lines));
    }

    /// <summary>
    /// The address the host listens on, from its "Now listening on" line (the process must log
    /// <c>Microsoft.Hosting.Lifetime</c> at Information).
    /// </summary>
    public async Task<Uri> ListeningAtAsync(TimeSpan deadline)
    {
        Uri? address = null;
        await AwaitCondition.UntilAsync(() =>
        {
            var line = Output.Split('\n').FirstOrDefault(l => l.Contains("Now listening on: ", StringComparison.Ordinal));
            address = line is null ? null : new Uri(line[(line.IndexOf("Now listening on: ", StringComparison.Ordinal) + "Now listening on: ".Length)..].Trim());
            return Task.FromResult(address is not null);
        }, deadline, "the engine process listens");
        return address!;
    }

    /// <summary>CPU time the process has used so far (user and kernel, all threads).</summary>
    public TimeSpan TotalProcessorTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The most resident memory the process has held so far (VmHWM on Linux).</summary>
    public long PeakWorkingSetBytes
    {
        get
        {
            _process.Refresh();
            return _process.PeakWorkingSet64;
        }
    }

    /// <summary>SIGSTOP (<paramref name="stalled"/>) or SIGCONT: the process stands still, as on a machine that stalls, then goes on.</summary>
    public async Task StallAsync(bool stalled)
    {
        using var signal = Process.Start("kill", [stalled ? "-STOP" : "-CONT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        await signal.WaitForExitAsync();
    }

    /// <summary>SIGKILL: no shutdown code runs, nothing is flushed.</summary>
    public async Task KillHardAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync();
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // A stopped process takes its SIGKILL only once it runs again.
            await StallAsync(false);
            await KillHardAsync();
        }

        _process.Dispose();
    }
}
