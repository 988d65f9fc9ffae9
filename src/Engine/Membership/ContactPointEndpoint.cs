using System.Collections.Immutable;
using System.Net;
using System.Text;
using Akka.Actor;
using Akka.Cluster;
using Akka.Event;
using Akka.Management.Cluster.Bootstrap;
using Akka.Management.Cluster.Bootstrap.ContactPoint;
using Akka.Management.Dsl;
using Newtonsoft.Json;

namespace Messaging.Engine.Membership;

/// <summary>
/// Answers the other nodes' Cluster Bootstrap probes (<c>GET /bootstrap/seed-nodes</c>) on the management port
/// (<c>akka.management.http</c>) with the answer Akka.Management's own route gives. Its own HTTP endpoint cannot start
/// here: it is built against Ceen.Httpd 0.9.9, which the registry does not serve, and 0.9.10 lacks the listen method it
/// calls (MissingMethodException), so the one route bootstrap needs is served on <see cref="HttpListener"/>.
/// </summary>
internal sealed class ContactPointEndpoint : IDisposable
{
    private const string SeedNodesPath = "/bootstrap/seed-nodes";
    private readonly HttpListener _listener = new();
    private readonly ActorSystem _system;
    private readonly ILoggingAdapter _log;

    private ContactPointEndpoint(ActorSystem system)
    {
        _system = system;
        _log = Logging.GetLogger(system, typeof(ContactPointEndpoint));
    }

    /// <summary>Listens on the management port, tells bootstrap its own contact point, and stops with the actor system.</summary>
    public static ContactPointEndpoint Start(ActorSystem system)
    {
        var http = system.Settings.Config.GetConfig("akka.management.http");
        var hostname = http.GetString("hostname");
        if (string.IsNullOrWhiteSpace(hostname) || hostname == "<hostname>")
        {
            // As Akka.Management: the machine's first address (in a pod, the pod's IP).
            hostname = Dns.GetHostAddresses(Dns.GetHostName())
                .First(ip => !ip.Equals(IPAddress.Any) && !ip.Equals(IPAddress.IPv6Any)).ToString();
        }

        var port = http.GetInt("port");
        var bindHostname = http.GetString("bind-hostname") is { Length: > 0 } bind ? bind : hostname;
        var endpoint = new ContactPointEndpoint(system);
        endpoint._listener.Prefixes.Add($"http://{(bindHostname == "0.0.0.0" ? "+" : bindHostname)}:{port}/");
        endpoint._listener.Start();
        endpoint._log.Info("Cluster Bootstrap contact point listening on {0}:{1}", bindHostname, port);
        _ = endpoint.ServeAsync();
        system.WhenTerminated.ContinueWith(_ => endpoint.Dispose(), TaskScheduler.Default);

        // Bootstrap waits for its own base address, which Akka.Management's endpoint would hand it when started.
        ClusterBootstrap.Get(system).Routes(ManagementRouteProviderSettings.Create(new Uri($"http://{hostname}:{port}/"), readOnly: true));
        return endpoint;
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync().ConfigureAwait(false);
            }
            catch (Exception) when (!_listener.IsListening)
            {
                // Closed with the actor system.
                return;
            }
            catch (HttpListenerException e)
            {
                _log.Warning("The bootstrap contact point failed to take a request: {0}", e.Message);
                continue;
            }

            try
            {
                await AnswerAsync(context).ConfigureAwait(false);
            }
            catch (Exception e) when (e is HttpListenerException or IOException or ObjectDisposedException)
            {
                // The prober hung up or the node is stopping; a prober asks again at its next interval.
                _log.Warning("A bootstrap probe was not answered: {0}", e.Message);
            }
        }
    }

    private async Task AnswerAsync(HttpListenerContext context)
    {
        using var response = context.Response;
        if (context.Request.HttpMethod != "GET" || context.Request.Url?.AbsolutePath != SeedNodesPath)
        {
            response.StatusCode = (int)HttpStatusCode.NotFound;
            return;
        }

        var body = Encoding.UTF8.GetBytes(JsonConvert.SerializeObject(SeedNodes(Akka.Cluster.Cluster.Get(_system))));
        response.ContentType = "application/json";
        response.ContentLength64 = body.Length;
        await response.OutputStream.WriteAsync(body).ConfigureAwait(false);
    }

    /// <summary>What Akka.Management's route answers: this node, and the members a joining node may use as seeds.</summary>
    private static HttpBootstrapJsonProtocol.SeedNodes SeedNodes(Akka.Cluster.Cluster cluster)
    {
        var self = cluster.SelfMember;
        if (self.Status is MemberStatus.Down or MemberStatus.Exiting or MemberStatus.Leaving or MemberStatus.Removed)
        {
            return new(self.UniqueAddress.Address, []);
        }

        var state = cluster.State;
        var members = state.Members
            .Where(m => !state.Unreachable.Contains(m) && m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Joining)
            .Select(m => new HttpBootstrapJsonProtocol.ClusterMember(m.UniqueAddress.Address, m.UniqueAddress.Uid, m.Status, m.Roles))
            .ToImmutableList();
        return new(self.UniqueAddress.Address, members);
    }

    public void Dispose() => _listener.Close();
}
