using System.Text;
using Amazon.Runtime;
using BenchmarkDotNet.Attributes;
using Messaging.Engine.Aws.Signing;

namespace Messaging.Benchmarks;

/// <summary>SigV4 signing of one SQS-sized request: done once per provider call.</summary>
[MemoryDiagnoser]
public class SigningBenchmarks
{
    private readonly AwsRequestSigner _signer = new("sqs", "us-east-1");
    private readonly ImmutableCredentials _credentials = new("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);
    private readonly byte[] _body = Encoding.UTF8.GetBytes(
        """{"QueueUrl":"http://127.0.0.1:9324/123456789012/requests","MaxNumberOfMessages":10,"WaitTimeSeconds":20,"AttributeNames":["All"]}""");

    private readonly DateTime _signedAt = new(2026, 11, 22, 8, 0, 0, DateTimeKind.Utc);

    [Benchmark]
    public int SignJson10Post()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9324/") { Content = new ByteArrayContent(_body) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.0");
        request.Headers.TryAddWithoutValidation("X-Amz-Target", "AmazonSQS.ReceiveMessage");
        _signer.Sign(request, _body, _credentials, _signedAt);
        return request.Headers.Count();
    }
}
