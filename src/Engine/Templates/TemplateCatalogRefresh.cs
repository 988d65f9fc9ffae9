using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Messaging.Engine.Templates;

/// <summary>
/// Loads the templates at start-up (after the schema is migrated, before requests are taken) and then keeps this node
/// within <see cref="TemplateOptions.RefreshInterval"/> of the store, so a push or rollback reaches every node without
/// a restart.
/// </summary>
internal sealed class TemplateCatalogRefresh(
    TemplateCatalog catalog, IOptions<TemplateOptions> options, TimeProvider timeProvider, ILogger<TemplateCatalogRefresh> logger)
    : IHostedService
{
    private BackgroundLoop? _loop;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        await catalog.RefreshAsync(cancellationToken).ConfigureAwait(false);
        _loop = new BackgroundLoop(
            "template refresh",
            async stopping =>
            {
                await catalog.RefreshAsync(stopping).ConfigureAwait(false);
                return false;
            },
            idleDelay: options.Value.RefreshInterval,
            maxBackoff: TimeSpan.FromSeconds(30),
            timeProvider,
            logger);
        _loop.Start();
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref _loop, null) is { } loop)
        {
            await loop.DisposeAsync().ConfigureAwait(false);
        }
    }
}
