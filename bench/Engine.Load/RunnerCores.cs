using System.ComponentModel;
using System.Globalization;
using System.Runtime.InteropServices;

namespace Messaging.Load;

/// <summary>
/// The cores a runner (the engine, or the Node peer's processes) is pinned to (<c>--runner-cores</c>, set by
/// <c>bench/run.sh --pin</c>, which starts this harness, the provider simulator and the SQS peer on the other cores
/// with <c>taskset</c>). A child process inherits the CPU mask of the thread that forks it, so a runner is started
/// from a thread pinned to its cores for that moment: it runs there from its first instruction, and .NET sizes its
/// GC heaps and thread pool to those cores, as it would under <c>taskset -c</c>.
/// </summary>
internal sealed class RunnerCores
{
    // sched_setaffinity's mask, one bit per CPU: 1,024 CPUs.
    private const int MaskWords = 16;
    private static readonly nint MaskBytes = MaskWords * sizeof(ulong);

    private readonly ulong[] _mask;

    private RunnerCores(IReadOnlyList<int> cores, string list)
    {
        _mask = new ulong[MaskWords];
        foreach (var core in cores)
        {
            _mask[core / 64] |= 1UL << (core % 64);
        }

        Count = cores.Count;
        List = list;
    }

    /// <summary>The cores as taskset and /proc write them (<c>1</c>, <c>2-3</c>).</summary>
    public string List { get; }

    public int Count { get; }

    /// <summary>A CPU list as <c>taskset -c</c> takes it: <c>1</c>, <c>2-3</c>, <c>1,3</c>.</summary>
    public static RunnerCores Parse(string list)
    {
        var cores = new List<int>();
        foreach (var part in list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var bounds = part.Split('-', 2);
            var first = int.Parse(bounds[0], CultureInfo.InvariantCulture);
            var last = bounds.Length > 1 ? int.Parse(bounds[1], CultureInfo.InvariantCulture) : first;
            if (first < 0 || last < first || last >= MaskWords * 64)
            {
                throw new ArgumentException($"Not a CPU list: '{list}'.", nameof(list));
            }

            cores.AddRange(Enumerable.Range(first, last - first + 1));
        }

        return cores.Count > 0 ? new RunnerCores(cores.Distinct().Order().ToList(), list) : throw new ArgumentException("An empty CPU list.", nameof(list));
    }

    /// <summary>
    /// Runs <paramref name="start"/> (which starts the runner's processes) on this thread pinned to the runner's
    /// cores, then puts the thread back, and any thread it created meanwhile (the thread pool may add a worker from
    /// the thread that queues work), so that the harness stays off the runner's cores.
    /// </summary>
    public T Start<T>(Func<T> start)
    {
        var own = new ulong[MaskWords];
        Check(sched_getaffinity(0, MaskBytes, own));
        var before = Threads().ToHashSet();
        Check(sched_setaffinity(0, MaskBytes, _mask));
        try
        {
            return start();
        }
        finally
        {
            Check(sched_setaffinity(0, MaskBytes, own));
            foreach (var thread in Threads().Where(t => !before.Contains(t)))
            {
                // A thread that has exited since the listing cannot be moved, and needs no moving.
                _ = sched_setaffinity(thread, MaskBytes, own);
            }
        }
    }

    /// <summary>Where this harness and each process it started may run (<c>Cpus_allowed_list</c>), for the run's notes.</summary>
    public static string Placement() =>
        $"harness on {ChildProcesses.Status(Environment.ProcessId)?.GetValueOrDefault("Cpus_allowed_list")}; its processes: "
        + string.Join(", ", ChildProcesses.List().Select(c => $"{c.Status.GetValueOrDefault("Name")} {c.Pid} on {c.Status.GetValueOrDefault("Cpus_allowed_list")}"));

    private static IEnumerable<int> Threads() => Directory.EnumerateDirectories("/proc/self/task")
        .Select(d => int.Parse(Path.GetFileName(d), CultureInfo.InvariantCulture));

    private static void Check(int result)
    {
        if (result != 0)
        {
            throw new Win32Exception(Marshal.GetLastPInvokeError(), "sched_setaffinity/sched_getaffinity failed");
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_setaffinity(int pid, nint cpusetsize, ulong[] mask);

    [DllImport("libc", SetLastError = true)]
    private static extern int sched_getaffinity(int pid, nint cpusetsize, ulong[] mask);
}
