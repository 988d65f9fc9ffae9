using Messaging.Engine.Aws;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Engine.Tests.Aws;

public sealed class AwsHttpPipelineTests
{
    [Fact]
    public void The_provider_calls_go_through_no_per_call_logging_handler()
    {
        using var provider = AwsTestServices.Create(ses: new Uri("http://127.0.0.1:1"));

        var handlers = new List<Type>();
        for (HttpMessageHandler? handler = provider.GetRequiredService<IHttpMessageHandlerFactory>().CreateHandler(AwsJsonTransport.HttpClientName);
             handler is not null;
             handler = (handler as DelegatingHandler)?.InnerHandler)
        {
            handlers.Add(handler.GetType());
        }

        Assert.Contains(typeof(SocketsHttpHandler), handlers);
        Assert.DoesNotContain(handlers, type => type.Namespace == "Microsoft.Extensions.Http.Logging");
    }
}
