using Amazon.Runtime;
using Messaging.Engine;
using Messaging.Engine.Aws.Signing;
using Messaging.Engine.Aws.Sqs;
using Messaging.Engine.Ingest;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Messaging.SmsPeer;

/// <summary>
/// The local End User Messaging SMS peer, as scripts/run-local.sh starts it:
///   dotnet SmsPeer.dll [--port 8006] [--host 127.0.0.1] [--access-key local] [--secret-key local] [--region us-east-1]
///                      [--sqs-endpoint URL --feedback-queue NAME]
/// It prints one JSON line, {"sms":"http://127.0.0.1:8006"}, once it listens (port 0 picks a free one), and stops on
/// SIGINT/SIGTERM, or when standard input closes with --exit-with-stdin.
/// </summary>
internal static class SmsPeerProgram
{
    public static async Task Main(string[] args)
    {
        var (accessKey, secretKey, region) = (Option(args, "access-key", "local"), Option(args, "secret-key", "local"), Option(args, "region", "us-east-1"));
        var sqsEndpoint = Option(args, "sqs-endpoint", "");
        var feedbackQueue = Option(args, "feedback-queue", "");
        await using var sqs = sqsEndpoint.Length > 0 && feedbackQueue.Length > 0 ? FeedbackServices(sqsEndpoint, feedbackQueue, region, accessKey, secretKey) : null;

        await using var peer = new SmsPeerServer(new SmsPeerSettings($"http://{Option(args, "host", "127.0.0.1")}:{Option(args, "port", "8006")}", accessKey, secretKey, region)
        {
            PublishFeedback = sqs is null ? null : async (record, cancellationToken) =>
            {
                var url = await sqs.GetRequiredService<QueueDirectory>().UrlOfAsync(feedbackQueue, cancellationToken);
                if (!url.TryGetValue(out var queueUrl, out var error))
                {
                    return error.ToString();
                }

                var sent = await sqs.GetRequiredService<SqsClient>().SendMessageAsync(queueUrl, new SqsOutgoingMessage { Body = record }, cancellationToken);
                return sent.TryGetValue(out _, out error) ? null : error.ToString();
            },
        });
        await peer.StartAsync(CancellationToken.None);
        Console.Out.WriteLine($$"""{"sms":"{{peer.Endpoint.ToString().TrimEnd('/')}}"}""");
        Console.Out.Flush();

        using var stop = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) =>
        {
            e.Cancel = true;
            stop.Cancel();
        };
        using var terminate = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, context =>
        {
            context.Cancel = true;
            stop.Cancel();
        });
        try
        {
            var stopped = Task.Delay(Timeout.Infinite, stop.Token);
            // A test host that dies closes the pipe: the peer goes with it, so no orphan keeps a port.
            await (args.Contains("--exit-with-stdin") ? Task.WhenAny(stopped, Console.In.ReadToEndAsync(stop.Token)) : stopped);
        }
        catch (OperationCanceledException)
        {
            // SIGINT or SIGTERM: a normal stop.
        }
    }

    private static string Option(string[] args, string name, string fallback)
    {
        var i = Array.IndexOf(args, $"--{name}");
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : fallback;
    }

    // The engine's own SQS client publishes events, signed with the peer's key as every caller's are.
    private static ServiceProvider FeedbackServices(string endpoint, string feedbackQueue, string region, string accessKey, string secretKey)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Engine:Aws:Region"] = region,
            ["Engine:Aws:SqsEndpoint"] = endpoint,
            ["Engine:Ingest:FeedbackQueue"] = feedbackQueue,
        }).Build();
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddSingleton<IConfiguration>(configuration);
        services.AddMessagingEngine(configuration);
        services.Replace(ServiceDescriptor.Singleton<IAwsCredentialSource>(new StaticAwsCredentialSource(new ImmutableCredentials(accessKey, secretKey, null))));
    #pragma warning disable ASP0000 // A container of its own for the SQS client alone; the peer's web host has nothing to share with it.
        return services.BuildServiceProvider();
    #pragma warning restore ASP0000
    }
}
