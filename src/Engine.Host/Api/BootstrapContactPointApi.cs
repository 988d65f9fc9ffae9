using Messaging.Engine.Membership;

namespace Messaging.Host.Api;

/// <summary>
/// Cluster Bootstrap's contact point (<c>Engine:Akka:Formation</c> = <c>Bootstrap</c>): the host also listens on the
/// management port (<c>akka.management.http</c>) and answers <c>GET /bootstrap/seed-nodes</c> there, anonymously like
/// the health endpoints, and nothing else. With seed nodes no such port is opened.
/// </summary>
internal static class BootstrapContactPointApi
{
    /// <summary>Where Kestrel listens when the host sets no address, as Kestrel itself chooses.</summary>
    private const string KestrelDefaultUrl = "http://localhost:5000";

    /// <summary>
    /// Adds the management endpoint to the host's URLs when bootstrapping, after the ones given (<c>--urls</c>,
    /// <c>ASPNETCORE_URLS</c> or <c>ASPNETCORE_HTTP_PORTS</c>), so the first address logged stays the operator API's.
    /// </summary>
    /// <returns>The management endpoint, or null when the cluster forms from seed nodes.</returns>
    public static ManagementEndpoint? ListenForBootstrapProbes(this WebApplicationBuilder builder)
    {
        var management = ManagementEndpoint.ForBootstrap(builder.Configuration);
        if (management is not null)
        {
            builder.WebHost.UseUrls([.. HostUrls(builder.Configuration), management.BindUrl]);
        }

        return management;
    }

    /// <summary>
    /// Maps the probe's endpoint and keeps the management port to it: the operator API, the dashboard and the metrics
    /// answer only on the host's own addresses, the probe only on the management port. Call it before other middleware.
    /// </summary>
    public static void MapBootstrapContactPoint(this WebApplication app, ManagementEndpoint management)
    {
        app.Use((context, next) =>
        {
            var onManagementPort = context.Connection.LocalPort == management.Port;
            var probe = context.Request.Path.Equals(BootstrapContactPoint.SeedNodesPath, StringComparison.Ordinal);
            if (onManagementPort != probe)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return next(context);
        });
        app.MapGet(BootstrapContactPoint.SeedNodesPath, (BootstrapContactPoint contactPoint) =>
                Results.Text(contactPoint.SeedNodesJson(), "application/json"))
            .AllowAnonymous()
            .ExcludeFromDescription();
    }

    /// <summary>The addresses the host would listen on by itself, read the way the web host reads them.</summary>
    private static IEnumerable<string> HostUrls(IConfiguration configuration)
    {
        if (configuration[WebHostDefaults.ServerUrlsKey] is { Length: > 0 } urls)
        {
            return urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        }

        var ports = (configuration[WebHostDefaults.HttpPortsKey] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(port => $"http://*:{port}")
            .Concat((configuration[WebHostDefaults.HttpsPortsKey] ?? "").Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Select(port => $"https://*:{port}"))
            .ToList();
        return ports.Count > 0 ? ports : [KestrelDefaultUrl];
    }
}
