using Amazon.SQS;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws;

/// <summary>Runs alone: its tests set the process's AWS endpoint variables, which every SQS client in the process reads.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndpointVariablesCollection
{
    public const string Name = "AWS endpoint variables";
}

/// <summary>Where the engine's SQS client goes: <c>Engine:Aws:SqsEndpoint</c>, else the SDK's standard variables.</summary>
[Collection(EndpointVariablesCollection.Name)]
public sealed class SqsEndpointTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    [Theory]
    [InlineData("AWS_ENDPOINT_URL_SQS")]
    [InlineData("AWS_ENDPOINT_URL")]
    public async Task Without_an_engine_setting_the_standard_variable_reaches_the_local_peer(string variable)
    {
        using var set = new EnvironmentVariable(variable, peers.SqsEndpoint.ToString());
        await using var services = AwsTestServices.Create();

        var url = (await services.GetRequiredService<IAmazonSQS>().CreateQueueAsync($"from-variable-{Guid.NewGuid():N}")).QueueUrl;

        Assert.StartsWith(peers.SqsEndpoint.ToString().TrimEnd('/'), url, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_engine_setting_wins_over_the_standard_variable()
    {
        using var set = new EnvironmentVariable("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:1");
        await using var services = AwsTestServices.Create(sqs: peers.SqsEndpoint);

        var url = (await services.GetRequiredService<IAmazonSQS>().CreateQueueAsync($"from-setting-{Guid.NewGuid():N}")).QueueUrl;

        Assert.StartsWith(peers.SqsEndpoint.ToString().TrimEnd('/'), url, StringComparison.Ordinal);
    }

    /// <summary>Sets a process variable for one test and puts the old value back.</summary>
    private sealed class EnvironmentVariable : IDisposable
    {
        private readonly string _name;
        private readonly string? _previous;

        public EnvironmentVariable(string name, string value)
        {
            _name = name;
            _previous = Environment.GetEnvironmentVariable(name);
            Environment.SetEnvironmentVariable(name, value);
        }

        public void Dispose() => Environment.SetEnvironmentVariable(_name, _previous);
    }
}
