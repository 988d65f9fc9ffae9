using System.Globalization;

namespace Messaging.Load;

/// <summary>The processes this harness started (the SQS peer, the runners), read from /proc.</summary>
internal static class ChildProcesses
{
    /// <summary>Each live child's pid and its /proc status fields (Name, Cpus_allowed_list, …).</summary>
    public static IEnumerable<(int Pid, IReadOnlyDictionary<string, string> Status)> List()
    {
        var self = Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory), CultureInfo.InvariantCulture, out var pid)
                && Status(pid) is { } status && status.GetValueOrDefault("PPid") == self)
            {
                yield return (pid, status);
            }
        }
    }

    /// <summary>A process's /proc status fields; null once it has exited.</summary>
    public static IReadOnlyDictionary<string, string>? Status(int pid)
    {
        try
        {
            return File.ReadLines($"/proc/{pid}/status").Select(l => l.Split(':', 2)).Where(p => p.Length == 2)
                .ToDictionary(p => p[0], p => p[1].Trim(), StringComparer.Ordinal);
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>A process's command line, arguments separated by spaces; empty once it has exited.</summary>
    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (IOException)
        {
            return "";
        }
    }
}
