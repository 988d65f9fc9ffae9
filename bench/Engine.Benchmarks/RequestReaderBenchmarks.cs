using System.Text;
using BenchmarkDotNet.Attributes;
using Messaging.Contracts.Validation;

namespace Messaging.Benchmarks;

/// <summary>Reading and validating one request body: done once per received SQS message.</summary>
[MemoryDiagnoser]
public class RequestReaderBenchmarks
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private const string EmailBody = """
        { "schema": "messaging.request.v1", "messageId": "order-1234-shipped", "channel": "email",
          "to": "ana@example.com", "template": "order-shipped", "data": { "name": "Ana", "orderId": 1234 },
          "from": "Shop <shop@example.com>", "configurationSet": "transactional", "category": "transactional",
          "tags": { "campaign": "fall" } }
        """;

    private const string InvalidBody = """
        { "schema": "messaging.request.v1", "messageId": "a b", "channel": "email", "to": "nobody",
          "template": "t", "content": { "text": "x" }, "category": "promo", "extra": 1 }
        """;

    private readonly byte[] _emailUtf8 = Encoding.UTF8.GetBytes(EmailBody);

    [Benchmark(Baseline = true)]
    public bool ValidEmailFromString() => RequestReader.Read(EmailBody, Now).IsValid;

    [Benchmark]
    public bool ValidEmailFromUtf8() => RequestReader.Read(_emailUtf8, Now).IsValid;

    [Benchmark]
    public int InvalidWithSixProblems() => RequestReader.Read(InvalidBody, Now).Problems.Count;
}
