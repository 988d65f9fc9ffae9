using Messaging.Engine.Membership;
using Microsoft.Extensions.Configuration;

namespace Messaging.Engine.Tests.Membership;

/// <summary>Where the host listens for Cluster Bootstrap's probes, read from the settings an operator gives.</summary>
public sealed class ManagementEndpointTests
{
    [Fact]
    public void With_seed_nodes_there_is_no_management_endpoint()
    {
        Assert.Null(ManagementEndpoint.ForBootstrap(Settings([])));
        Assert.Null(ManagementEndpoint.ForBootstrap(Settings(new() { ["Engine:Akka:Formation"] = "SeedNodes", ["akka:management:http:port"] = "9001" })));
    }

    [Fact]
    public void Bootstrap_listens_on_the_bind_hostname_and_tells_the_others_the_hostname()
    {
        var endpoint = ManagementEndpoint.ForBootstrap(Settings(new()
        {
            ["Engine:Akka:Formation"] = "Bootstrap",
            ["akka:management:http:hostname"] = "10.0.3.11",
            ["akka:management:http:bind_hostname"] = "0.0.0.0",
            ["akka:management:http:port"] = "9001",
        }));

        Assert.Equal(new ManagementEndpoint(new Uri("http://10.0.3.11:9001/"), "http://0.0.0.0:9001", 9001), endpoint);
    }

    [Fact]
    public void Bootstrap_without_a_bind_hostname_listens_where_it_is_reached_on_the_shipped_port()
    {
        var endpoint = ManagementEndpoint.ForBootstrap(Settings(new() { ["Engine:Akka:Formation"] = "Bootstrap", ["akka:management:http:hostname"] = "::1" }));

        Assert.Equal(new ManagementEndpoint(new Uri("http://[::1]:8558/"), "http://[::1]:8558", 8558), endpoint);
    }

    private static IConfiguration Settings(Dictionary<string, string?> values) => new ConfigurationBuilder().AddInMemoryCollection(values).Build();
}
