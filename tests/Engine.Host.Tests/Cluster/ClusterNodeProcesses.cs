using Amazon.SQS;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Cluster;

/// <summary>
/// What a test of engine processes forming a cluster holds: its queues (named after <see cref="Prefix"/>), a folder for
/// each node's SQLite database, the processes and a client on each one's operator API; all gone at the end.
/// </summary>
internal sealed class ClusterNodeProcesses(string prefixLetter, string folderName) : IAsyncDisposable
{
    private ServiceProvider _aws = null!;

    public string Prefix { get; } = $"{prefixLetter}{Guid.NewGuid():N}"[..13];

    public string Directory { get; } = Path.Combine(Path.GetTempPath(), $"{folderName}-{Guid.NewGuid():N}");

    public List<EngineProcess> Engines { get; } = [];

    public List<HttpClient> Apis { get; } = [];

    public async Task InitializeAsync(LocalAwsPeers peers)
    {
        System.IO.Directory.CreateDirectory(Directory);
        _aws = AwsTestServices.Create(sqs: peers.SqsEndpoint);
        await EngineQueues.CreateAsync(_aws.GetRequiredService<IAmazonSQS>(), Prefix);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var api in Apis)
        {
            api.Dispose();
        }

        foreach (var engine in Engines)
        {
            await engine.DisposeAsync();
        }

        await _aws.DisposeAsync();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(Directory, recursive: true);
    }
}
