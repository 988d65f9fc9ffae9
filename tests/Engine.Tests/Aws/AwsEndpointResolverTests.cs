using Messaging.Engine.Aws;

namespace Messaging.Engine.Tests.Aws;

public sealed class AwsEndpointResolverTests
{
    [Fact]
    public void Public_endpoints_follow_the_region_and_sign_as_the_service()
    {
        var resolver = new AwsEndpointResolver(new AwsOptions(), Environment(("AWS_REGION", "eu-west-1")));

        Assert.Equal("eu-west-1", resolver.Region);
        Assert.Equal(new Uri("https://sqs.eu-west-1.amazonaws.com"), resolver.EndpointFor(AwsService.Sqs));
        Assert.Equal(new Uri("https://email.eu-west-1.amazonaws.com"), resolver.EndpointFor(AwsService.SesV2));
        Assert.Equal(new Uri("https://sms-voice.eu-west-1.amazonaws.com"), resolver.EndpointFor(AwsService.SmsVoiceV2));
        Assert.Equal("ses", AwsService.SesV2.SigningName);
    }

    [Fact]
    public void Service_specific_variables_win_over_the_general_one()
    {
        var resolver = new AwsEndpointResolver(
            new AwsOptions(),
            Environment(
                ("AWS_DEFAULT_REGION", "us-west-2"),
                ("AWS_ENDPOINT_URL", "http://127.0.0.1:4566"),
                ("AWS_ENDPOINT_URL_SQS", "http://127.0.0.1:9324"),
                ("AWS_ENDPOINT_URL_SESV2", "http://127.0.0.1:8005"),
                ("AWS_ENDPOINT_URL_PINPOINT_SMS_VOICE_V2", "http://127.0.0.1:9000")));

        Assert.Equal("us-west-2", resolver.Region);
        Assert.Equal(new Uri("http://127.0.0.1:9324"), resolver.EndpointFor(AwsService.Sqs));
        Assert.Equal(new Uri("http://127.0.0.1:8005"), resolver.EndpointFor(AwsService.SesV2));
        Assert.Equal(new Uri("http://127.0.0.1:9000"), resolver.EndpointFor(AwsService.SmsVoiceV2));
    }

    [Fact]
    public void The_general_variable_covers_services_without_their_own()
    {
        var resolver = new AwsEndpointResolver(new AwsOptions { Region = "ap-south-1" }, Environment(("AWS_ENDPOINT_URL", "http://127.0.0.1:4566")));

        Assert.Equal(new Uri("http://127.0.0.1:4566"), resolver.EndpointFor(AwsService.SmsVoiceV2));
    }

    [Fact]
    public void Configuration_wins_over_the_environment()
    {
        var options = new AwsOptions { Region = "eu-central-1", SesEndpoint = new Uri("http://localhost:1") };
        var resolver = new AwsEndpointResolver(options, Environment(("AWS_REGION", "us-east-1"), ("AWS_ENDPOINT_URL_SESV2", "http://localhost:2")));

        Assert.Equal("eu-central-1", resolver.Region);
        Assert.Equal(new Uri("http://localhost:1"), resolver.EndpointFor(AwsService.SesV2));
    }

    [Fact]
    public void A_malformed_endpoint_variable_is_refused_with_its_value()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            new AwsEndpointResolver(new AwsOptions { Region = "us-east-1" }, Environment(("AWS_ENDPOINT_URL_SQS", "localhost:9324/x y"))));

        Assert.Equal("The SQS endpoint \"localhost:9324/x y\" from the environment is not an absolute http(s) URL.", error.Message);
    }

    private static Func<string, string?> Environment(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value);
        return name => map.GetValueOrDefault(name);
    }
}
