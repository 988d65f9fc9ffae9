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
        await using var feedback = sqsEndpoint.Length > 0 && feedbackQueue.Length > 0
            ? new SqsFeedbackPublisher(new Uri(sqsEndpoint), feedbackQueue, region, accessKey, secretKey)
            : null;
        await using var peer = new SmsPeerServer(new SmsPeerSettings($"http://{Option(args, "host", "127.0.0.1")}:{Option(args, "port", "8006")}", accessKey, secretKey, region)
        {
            PublishFeedback = feedback is null ? null : feedback.PublishAsync,
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
}
