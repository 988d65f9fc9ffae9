using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Messaging.Testing;

/// <summary>
/// A TCP relay in front of each cluster node's Akka remoting port, so a test can cut the network between nodes that
/// run as processes on one machine. Each node binds <see cref="BindPorts"/>[i] and tells the others to use
/// <see cref="PublicPorts"/>[i] (Akka's <c>public-port</c>), where its relay listens: every connection between two
/// nodes passes one relay. A relay learns which node opened a connection from the first thing Akka sends on it, the
/// association handshake, which names the origin's address. <see cref="Partition"/> then closes every connection that
/// joins the two sides and refuses new ones, as a firewall rejecting that traffic would.
/// </summary>
public sealed class RemotingRelays : IAsyncDisposable
{
    // The origin's address in the handshake (protobuf AddressData): hostname "127.0.0.1" (field 2), then the port (field 3).
    private static readonly byte[] OriginHost = [0x12, 0x09, .. Encoding.ASCII.GetBytes("127.0.0.1"), 0x18];
    private readonly List<TcpListener> _listeners = [];
    private readonly ConcurrentDictionary<Link, byte> _links = new();
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<Task> _accepting = [];
    private volatile HashSet<int>? _side;

    public RemotingRelays(int nodes)
    {
        var bindPorts = new int[nodes];
        var publicPorts = new int[nodes];
        for (var i = 0; i < nodes; i++)
        {
            bindPorts[i] = EngineProcess.FreePort();
            var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            publicPorts[i] = ((IPEndPoint)listener.LocalEndpoint).Port;
            _listeners.Add(listener);
        }

        BindPorts = bindPorts;
        PublicPorts = publicPorts;
        for (var i = 0; i < nodes; i++)
        {
            var target = i;
            _accepting.Add(Task.Run(() => AcceptAsync(target)));
        }
    }

    /// <summary>Where each node's remoting binds.</summary>
    public IReadOnlyList<int> BindPorts { get; }

    /// <summary>Where the other nodes reach each node: its relay (the port its address names).</summary>
    public IReadOnlyList<int> PublicPorts { get; }

    /// <summary>Connections refused or closed because they crossed the partition.</summary>
    public int Cut => Volatile.Read(ref _cut);

    private int _cut;

    /// <summary>Cuts every link between the nodes in <paramref name="side"/> and the others, from now on.</summary>
    public void Partition(IEnumerable<int> side)
    {
        _side = side.ToHashSet();
        foreach (var link in _links.Keys.Where(Crosses))
        {
            link.Close();
            Interlocked.Increment(ref _cut);
        }
    }

    private bool Crosses(Link link) => _side is { } side && (link.Origin < 0 || side.Contains(link.Origin) != side.Contains(link.Target));

    private async Task AcceptAsync(int target)
    {
        while (!_stopping.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listeners[target].AcceptTcpClientAsync(_stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = Task.Run(() => RelayAsync(client, target));
        }
    }

    private async Task RelayAsync(TcpClient client, int target)
    {
        using var accepted = client;
        using var server = new TcpClient();
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, BindPorts[target], _stopping.Token);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            return; // The node is not listening (yet, or any more): as a refused connection.
        }

        var fromClient = client.GetStream();
        var toServer = server.GetStream();
        // The handshake comes first; read until the origin's address is in what was read (it is a few hundred bytes).
        var first = new byte[4096];
        var read = 0;
        var origin = -1;
        while (origin < 0 && read < first.Length)
        {
            int n;
            try
            {
                n = await fromClient.ReadAsync(first.AsMemory(read), _stopping.Token);
            }
            catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException)
            {
                return;
            }

            if (n == 0)
            {
                return;
            }

            read += n;
            origin = OriginOf(first.AsSpan(0, read));
        }

        var link = new Link(origin, target, client, server);
        _links[link] = 0;
        try
        {
            if (Crosses(link))
            {
                Interlocked.Increment(ref _cut);
                return;
            }

            await toServer.WriteAsync(first.AsMemory(0, read), _stopping.Token);
            await Task.WhenAny(PumpAsync(fromClient, toServer), PumpAsync(server.GetStream(), fromClient));
        }
        catch (Exception e) when (e is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side closed, or the link was cut.
        }
        finally
        {
            _links.TryRemove(link, out _);
            link.Close();
        }
    }

    private int OriginOf(ReadOnlySpan<byte> handshake)
    {
        var at = handshake.IndexOf(OriginHost);
        if (at < 0)
        {
            return -1;
        }

        // The port, a protobuf varint.
        var port = 0;
        var shift = 0;
        for (var i = at + OriginHost.Length; i < handshake.Length && shift < 32; i++, shift += 7)
        {
            port |= (handshake[i] & 0x7F) << shift;
            if ((handshake[i] & 0x80) == 0)
            {
                return PublicPorts.ToList().IndexOf(port) is var node and >= 0 ? node : -1;
            }
        }

        return -1;
    }

    private async Task PumpAsync(Stream from, Stream to)
    {
        var buffer = new byte[16 * 1024];
        int n;
        while ((n = await from.ReadAsync(buffer, _stopping.Token)) > 0)
        {
            await to.WriteAsync(buffer.AsMemory(0, n), _stopping.Token);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        foreach (var listener in _listeners)
        {
            listener.Stop();
        }

        foreach (var link in _links.Keys)
        {
            link.Close();
        }

        await Task.WhenAll(_accepting);
        _stopping.Dispose();
    }

    private sealed record Link(int Origin, int Target, TcpClient Client, TcpClient Server)
    {
        public void Close()
        {
            Client.Close();
            Server.Close();
        }
    }
}
