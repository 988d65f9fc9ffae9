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

    public static EngineProcess Start(string hostAssembly, IReadOnlyDictionary<string, string> environment)
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
        start.ArgumentList.Add("http://127.0.0.1:0");
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
            await KillHardAsync();
        }

        _process.Dispose();
    }
}
