namespace Messaging.Testing;

/// <summary>Finds files of this repository from a test's working directory.</summary>
public static class RepositoryLayout
{
    /// <summary>The folder holding <c>Messaging.sln</c>.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>A path under the root.</summary>
    public static string PathOf(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Messaging.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"Messaging.sln not found above {AppContext.BaseDirectory}.");
    }
}
