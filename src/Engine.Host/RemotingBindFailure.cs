using System.Net.Sockets;
using Akka.Remote;

namespace Messaging.Host;

/// <summary>Akka remoting refusing to start because its port is taken, however deep Akka.Hosting's start wrapped it.</summary>
internal static class RemotingBindFailure
{
    public static RemoteTransportException? Find(Exception exception) => exception switch
    {
        RemoteTransportException { InnerException: SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse } } refused => refused,
        AggregateException aggregate => aggregate.InnerExceptions.Select(Find).FirstOrDefault(f => f is not null),
        { InnerException: { } inner } => Find(inner),
        _ => null,
    };
}
