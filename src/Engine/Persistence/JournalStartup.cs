using Messaging.Engine.Persistence.Sql;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Messaging.Engine.Persistence;

/// <summary>Migrates the journal's schema when the host starts, before anything reads or writes it.</summary>
internal sealed partial class JournalStartup(SqlJournal journal, ILogger<JournalStartup> logger) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await journal.MigrateAsync(cancellationToken).ConfigureAwait(false);
        LogReady(journal.Description);
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Journal ready: {Store}")]
    private partial void LogReady(string store);
}
