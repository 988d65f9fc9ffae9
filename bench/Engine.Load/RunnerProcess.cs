using System.Diagnostics;
using System.Text;
using Messaging.Testing;

namespace Messaging.Load;

/// <summary>One process of a runner (an engine, or one Node peer worker): its CPU, peak RSS and what it wrote.</summary>
internal sealed class RunnerProcess : IAsyncDisposable
{
    private readonly EngineProcess? _engine;
    private readonly Process? _node;
    private readonly StringBuilder _nodeOutput = new();

    private RunnerProcess(EngineProcess? engine, Process? node)
    {
        _engine = engine;
        _node = node;
    }

    public static RunnerProcess Engine(EngineProcess engine) => new(engine, null);

    public static RunnerProcess Node(Process node)
    {
        var runner = new RunnerProcess(null, node);
        node.OutputDataReceived += (_, e) => runner.Append(e.Data);
        node.ErrorDataReceived += (_, e) => runner.Append(e.Data);
        node.BeginOutputReadLine();
        node.BeginErrorReadLine();
        return runner;
    }

    public bool HasExited => _engine?.HasExited ?? _node!.HasExited;

    public TimeSpan TotalProcessorTime
    {
        get
        {
            if (_engine is not null)
            {
                return _engine.TotalProcessorTime;
            }

            _node!.Refresh();
            return _node.TotalProcessorTime;
        }
    }

    /// <summary>The most resident memory the process has held (VmHWM).</summary>
    public long PeakRssBytes
    {
        get
        {
            if (_engine is not null)
            {
                return _engine.PeakWorkingSetBytes;
            }

            _node!.Refresh();
            return _node.PeakWorkingSet64;
        }
    }

    private string Output
    {
        get
        {
            if (_engine is not null)
            {
                return _engine.Output;
            }

            lock (_nodeOutput)
            {
                return _nodeOutput.ToString();
            }
        }
    }

    public string Tail() => string.Join('\n', Output.Split('\n').TakeLast(15));

    /// <summary>The engine's warning and error lines; the peer's failure lines (it logs only those, and its counters).</summary>
    public IEnumerable<string> Warnings() => Output.Split('\n')
        .Where(l => l.StartsWith("warn", StringComparison.Ordinal) || l.StartsWith("fail", StringComparison.Ordinal) || l.StartsWith("crit", StringComparison.Ordinal)
            || l.Contains("error", StringComparison.OrdinalIgnoreCase))
        .Select(l => l.Trim())
        .Take(5);

    /// <summary>The peer's count of sends that failed after the SDK's retries (left to reappear), from its last report.</summary>
    public int? PeerFailures => _node is null
        ? null
        : Output.Split('\n').Where(l => l.StartsWith("{\"failed\":", StringComparison.Ordinal)).Select(l => (int?)System.Text.Json.JsonDocument.Parse(l).RootElement.GetProperty("failed").GetInt32()).LastOrDefault();

    /// <summary>
    /// An engine's ReceiveMessage calls on its request queue(s) so far (its Prometheus counter; SQS bills each), or null
    /// for the peer, which does not count them.
    /// </summary>
    public async Task<double?> RequestQueueReceiveCallsAsync() =>
        await MetricsAsync() is { } lines
            ? Sum(lines, l => l.StartsWith("messaging_sqs_receives_total{", StringComparison.Ordinal) && l.Contains("-requests\"", StringComparison.Ordinal))
            : null;

    /// <summary>The engine's provider calls so far and their mean duration as it timed them, read from its metrics.</summary>
    public async Task<(double Calls, TimeSpan Mean)?> ProviderCallsAsync()
    {
        if (await MetricsAsync() is not { } lines)
        {
            return null;
        }

        var calls = Sum(lines, l => l.StartsWith("messaging_provider_duration_seconds_count", StringComparison.Ordinal));
        var seconds = Sum(lines, l => l.StartsWith("messaging_provider_duration_seconds_sum", StringComparison.Ordinal));
        return calls == 0 ? null : (calls, TimeSpan.FromSeconds(seconds / calls));
    }

    /// <summary>The engine's Prometheus exposition, a line each; null for the peer or an engine that has exited.</summary>
    private async Task<string[]?> MetricsAsync()
    {
        if (_engine is null || _engine.HasExited)
        {
            return null;
        }

        using var http = new HttpClient { BaseAddress = await _engine.ListeningAtAsync(TimeSpan.FromSeconds(10)) };
        return (await http.GetStringAsync(new Uri("/metrics", UriKind.Relative))).Split('\n');
    }

    /// <summary>The values of the exposition lines that match, summed over their labels.</summary>
    private static double Sum(string[] lines, Func<string, bool> matches) => lines
        .Where(matches)
        .Sum(l => double.Parse(l[(l.LastIndexOf(' ') + 1)..], System.Globalization.CultureInfo.InvariantCulture));

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_nodeOutput)
            {
                _nodeOutput.AppendLine(line);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_engine is not null)
        {
            // A graceful stop first, so what it writes at exit (a trace, its last log lines) is complete.
            if (!_engine.HasExited)
            {
                try
                {
                    await _engine.StopAsync(TimeSpan.FromSeconds(60));
                }
                catch (OperationCanceledException)
                {
                    Console.Error.WriteLine("  the engine did not stop within 60 s of SIGTERM; killed");
                }
            }

            await _engine.DisposeAsync();
            return;
        }

        if (!_node!.HasExited)
        {
            _node.Kill(entireProcessTree: true);
            await _node.WaitForExitAsync();
        }

        _node.Dispose();
    }
}
