using Amazon.Runtime;
using Amazon.Runtime.Internal.Auth;
using Messaging.Engine.Aws.Signing;

namespace Messaging.Engine.Tests.Aws.Signing;

public sealed class AwsRequestSignerTests
{
    [Fact]
    public void Signs_the_published_S3_GetObject_example_to_its_published_signature()
    {
        // "Example: GET Object" of the AWS SigV4 header-based authentication guide.
        using var request = new HttpRequestMessage(HttpMethod.Get, "https://examplebucket.s3.amazonaws.com/test.txt");
        request.Headers.TryAddWithoutValidation("Range", "bytes=0-9");
        var credentials = new ImmutableCredentials("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", null);

        new AwsRequestSigner("s3", "us-east-1").Sign(request, [], credentials, new DateTime(2013, 5, 24, 0, 0, 0, DateTimeKind.Utc));

        Assert.Equal(
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            + "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            + "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41",
            request.Headers.GetValues("Authorization").Single());
        Assert.Equal("20130524T000000Z", request.Headers.GetValues("X-Amz-Date").Single());
        Assert.Equal("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", request.Headers.GetValues("X-Amz-Content-SHA256").Single());
    }

    [Fact]
    public void The_sdk_signature_of_the_get_vanilla_test_vector_matches_the_suite()
    {
        // aws4_testsuite get-vanilla: its canonical request and expected signature.
        const string CanonicalRequest = "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\nhost;x-amz-date\n"
            + "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
        var credentials = new ImmutableCredentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", null);

        var result = AWS4Signer.ComputeSignature(credentials, "us-east-1", new DateTime(2015, 8, 30, 12, 36, 0, DateTimeKind.Utc), "service", "host;x-amz-date", CanonicalRequest);

        Assert.Equal("5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31", result.Signature);
    }

    [Fact]
    public void A_session_token_is_sent_and_signed()
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "http://127.0.0.1:9324/") { Content = new ByteArrayContent("{}"u8.ToArray()) };
        request.Content.Headers.ContentType = new("application/x-amz-json-1.0");
        var credentials = new ImmutableCredentials("AKID", "secret", "session-token");

        new AwsRequestSigner("sqs", "eu-west-1").Sign(request, "{}"u8.ToArray(), credentials, new DateTime(2026, 11, 22, 8, 0, 0, DateTimeKind.Utc));

        Assert.Equal("session-token", request.Headers.GetValues("X-Amz-Security-Token").Single());
        var authorization = request.Headers.GetValues("Authorization").Single();
        Assert.StartsWith("AWS4-HMAC-SHA256 Credential=AKID/20261122/eu-west-1/sqs/aws4_request, SignedHeaders=content-type;host;", authorization, StringComparison.Ordinal);
        Assert.Contains("x-amz-security-token", authorization, StringComparison.Ordinal);
    }
}
