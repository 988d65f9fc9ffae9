namespace Messaging.Host.Cli;

/// <summary>
/// <c>data/local.env</c>, which <c>scripts/run-local.sh</c> writes: the region, endpoints, dummy credentials, signing-key
/// file and default sender of the local run, as <c>NAME=VALUE</c> lines. Read before anything else, so every command
/// works in any terminal of that clone; a variable already set in the environment wins over the file.
/// </summary>
internal static class LocalSettings
{
    /// <summary>Names a settings file to read instead (empty: read none).</summary>
    public const string FileVariable = "ENGINE_LOCAL_ENV";

    public const string RelativePath = "data/local.env";

    /// <summary>
    /// The file to read: <see cref="FileVariable"/>'s, else <c>data/local.env</c> in the current folder, else (for a
    /// one-shot command, never for the engine itself) the one in the clone the binary was built in.
    /// </summary>
    public static string? Find(bool engineRun)
    {
        if (Environment.GetEnvironmentVariable(FileVariable) is { } named)
        {
            return named.Length == 0 ? null : named;
        }

        var here = Path.GetFullPath(RelativePath);
        if (File.Exists(here) || engineRun)
        {
            return File.Exists(here) ? here : null;
        }

        for (var folder = new DirectoryInfo(AppContext.BaseDirectory); folder is not null; folder = folder.Parent)
        {
            if (File.Exists(Path.Combine(folder.FullName, "Messaging.sln")))
            {
                var inClone = Path.Combine(folder.FullName, RelativePath);
                return File.Exists(inClone) ? inClone : null;
            }
        }

        return null;
    }

    /// <summary>Applies the file <see cref="Find"/> finds, if any.</summary>
    public static void ApplyFound(bool engineRun)
    {
        if (Find(engineRun) is { } path)
        {
            Apply(path);
        }
    }

    /// <summary>Sets each variable of <paramref name="path"/> that the environment does not set already.</summary>
    public static void Apply(string path)
    {
        foreach (var (name, value) in Read(File.ReadAllLines(path)))
        {
            if (Environment.GetEnvironmentVariable(name) is null)
            {
                Environment.SetEnvironmentVariable(name, value);
            }
        }
    }

    /// <summary>The variables of a file in shell syntax: <c>NAME=VALUE</c> or <c>export NAME='VALUE'</c>; <c>#</c> comments.</summary>
    public static IEnumerable<(string Name, string Value)> Read(IEnumerable<string> lines)
    {
        foreach (var raw in lines)
        {
            var line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (line.StartsWith("export ", StringComparison.Ordinal))
            {
                line = line["export ".Length..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            var value = line[(equals + 1)..];
            if (value.Length >= 2 && value[0] == value[^1] && value[0] is '\'' or '"')
            {
                value = value[1..^1];
            }

            yield return (line[..equals].TrimEnd(), value);
        }
    }
}
