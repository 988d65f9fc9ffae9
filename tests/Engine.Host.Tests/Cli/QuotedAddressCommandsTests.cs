using Messaging.Host.Cli;
using Messaging.Host.Tests.Api;
using Messaging.Testing;

namespace Messaging.Host.Tests.Cli;

/// <summary>
/// <c>engine recipient suppress|show|unsuppress</c> works through a running engine's API on its recipient actors: a
/// quoted spelling names the same recipient as the plain address, whose actor is the one requests reach.
/// </summary>
public sealed class QuotedAddressCommandsTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>, IDisposable
{
    private readonly CliHarness _cli = new(peers, $"q{Guid.NewGuid():N}"[..13], "quoted");

    public void Dispose() => _cli.Dispose();

    private Task<(int Code, string Output, string Error)> RunAsync(params string[] args) => _cli.RunAsync(args);

    [Fact]
    public async Task A_quoted_spelling_suppresses_shows_and_unsuppresses_the_plain_address()
    {
        await using var engine = _cli.Engine = await OperatorHost.StartAsync(peers, kestrel: true);
        var suppressed = await RunAsync("recipient", "suppress", "email", "\"victim\"@example.com", "--reason", "asked by phone", "--by", "ops");
        var shownPlain = await RunAsync("recipient", "show", "email", "victim@example.com");
        var lifted = await RunAsync("recipient", "unsuppress", "email", "\"Vic\\tim\"@example.com", "--reason", "mistake", "--by", "ops");
        var shownQuoted = await RunAsync("recipient", "show", "email", "\"victim\"@example.com");
        var refused = await RunAsync("recipient", "suppress", "email", "\"john doe\"@example.com", "--reason", "r");

        Assert.Equal((EngineCommands.Done, "email:victim@example.com: Suppressed\n"), (suppressed.Code, suppressed.Output));
        Assert.StartsWith("email:victim@example.com: SUPPRESSED (Operator since ", shownPlain.Output);
        Assert.Equal((EngineCommands.Done, "email:victim@example.com: Unsuppressed\n"), (lifted.Code, lifted.Output));
        Assert.StartsWith("email:victim@example.com: not suppressed", shownQuoted.Output);
        Assert.Equal(EngineCommands.BadInput, refused.Code);
        Assert.Contains("has a quoted part before the '@' that cannot be written without quotes", refused.Error);
    }
}
