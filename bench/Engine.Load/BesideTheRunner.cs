using System.Diagnostics;

namespace Messaging.Load;

/// <summary>
/// The CPU of what serves a runner and grows with its speed: this harness (the provider simulator answering every send,
/// the producer) and the local SQS peer. A runner's throughput on a shared machine is bounded by its own CPU per email
/// plus this (docs/benchmarks.md); PostgreSQL's server is not counted here, as it is not in the runner's figures.
/// </summary>
internal sealed class BesideTheRunner
{
    private readonly Process _harness = Process.GetCurrentProcess();
    private readonly Process? _sqsPeer;

    private BesideTheRunner(Process? sqsPeer) => _sqsPeer = sqsPeer;

    /// <summary>Finds the SQS peer among this harness's processes (node running tools/local-aws/peers.mjs).</summary>
    public static BesideTheRunner Find() => new(ChildProcesses.List()
        .Where(child => ChildProcesses.CommandLine(child.Pid).Contains("peers.mjs", StringComparison.Ordinal))
        .Select(child => Process.GetProcessById(child.Pid))
        .FirstOrDefault());

    /// <summary>Whether the SQS peer was found; without it <see cref="Cpu"/> is the harness's alone.</summary>
    public bool WithSqsPeer => _sqsPeer is not null;

    public TimeSpan Cpu()
    {
        _harness.Refresh();
        _sqsPeer?.Refresh();
        return _harness.TotalProcessorTime + (_sqsPeer?.TotalProcessorTime ?? TimeSpan.Zero);
    }
}
