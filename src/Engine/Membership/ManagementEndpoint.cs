using System.Net;
using Akka.Configuration;
using Microsoft.Extensions.Configuration;

namespace Messaging.Engine.Membership;

/// <summary>
/// Where a bootstrapping node answers the other nodes' Cluster Bootstrap probes (<c>akka.management.http</c>): the
/// address it tells them (<see cref="SelfBaseUri"/>) and the one the host listens on (<see cref="BindUrl"/>).
/// </summary>
/// <param name="SelfBaseUri">This node's contact point as the others reach it, ending in <c>/</c>.</param>
/// <param name="BindUrl">What the host listens on for the probes, as a server URL (<c>http://0.0.0.0:8558</c>).</param>
/// <param name="Port">The management port.</param>
public sealed record ManagementEndpoint(Uri SelfBaseUri, string BindUrl, int Port)
{
    /// <summary>
    /// The management endpoint when <c>Engine:Akka:Formation</c> is <see cref="ClusterFormationMode.Bootstrap"/>, read
    /// from the same settings the actor system gets (the host's <c>akka</c> keys over <c>config/akka.hocon</c>); null
    /// with seed nodes, when no management port is opened.
    /// </summary>
    public static ManagementEndpoint? ForBootstrap(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var options = configuration.GetSection(EngineAkkaOptions.SectionName).Get<EngineAkkaOptions>() ?? new EngineAkkaOptions();
        return options.Formation == ClusterFormationMode.Bootstrap
            ? Of(EngineAkkaConfiguration.Overrides(configuration.GetSection("akka")).WithFallback(EngineAkkaConfiguration.Settings(options.ConfigFile)))
            : null;
    }

    /// <summary>The endpoint <paramref name="akka"/>'s <c>akka.management.http</c> section describes.</summary>
    internal static ManagementEndpoint Of(Config akka)
    {
        var http = akka.GetConfig("akka.management.http");
        var hostname = http.GetString("hostname");
        if (string.IsNullOrWhiteSpace(hostname) || hostname == "<hostname>")
        {
            // As Akka.Management: the machine's first address (in a pod, the pod's IP).
            hostname = Dns.GetHostAddresses(Dns.GetHostName())
                .First(ip => !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)).ToString();
        }

        var port = http.GetInt("port");
        var bindHostname = http.GetString("bind-hostname") is { Length: > 0 } bind ? bind : hostname;
        // UriBuilder puts an IPv6 address in brackets.
        return new ManagementEndpoint(
            new UriBuilder(Uri.UriSchemeHttp, hostname, port, "/").Uri,
            new UriBuilder(Uri.UriSchemeHttp, bindHostname, port).Uri.GetLeftPart(UriPartial.Authority),
            port);
    }
}
