using Amazon.Runtime;
using Messaging.Engine.Aws.Signing;

namespace Messaging.Engine.Tests.Aws.Signing;

public sealed class DefaultAwsCredentialSourceTests
{
    [Fact]
    public async Task Keys_that_do_not_renew_themselves_are_read_once_not_on_every_send()
    {
        var keys = new CountingKeys();
        var source = new DefaultAwsCredentialSource(() => keys);

        for (var i = 0; i < 3; i++)
        {
            Assert.Equal("AKIDFIXED", (await source.GetCredentialsAsync(default)).AccessKey);
        }

        Assert.Equal(1, keys.Reads);
    }

    [Fact]
    public async Task Renewing_credentials_are_asked_every_time_so_a_renewal_is_used_at_once()
    {
        var source = new DefaultAwsCredentialSource(() => new ShortLivedRole());

        var first = await source.GetCredentialsAsync(default);
        var second = await source.GetCredentialsAsync(default);

        Assert.Equal("AKIDROLE1", first.AccessKey);
        Assert.Equal("AKIDROLE2", second.AccessKey);
    }

    private sealed class CountingKeys : AWSCredentials
    {
        public int Reads { get; private set; }

        public override ImmutableCredentials GetCredentials()
        {
            Reads++;
            return new ImmutableCredentials("AKIDFIXED", "secret", null);
        }
    }

    /// <summary>A role whose credentials expire within the SDK's renewal margin: each read renews them.</summary>
    private sealed class ShortLivedRole : RefreshingAWSCredentials
    {
        private int _renewals;

        protected override CredentialsRefreshState GenerateNewCredentials() =>
            new(new ImmutableCredentials($"AKIDROLE{++_renewals}", "secret", "token"), DateTime.UtcNow.AddMinutes(1));
    }
}
