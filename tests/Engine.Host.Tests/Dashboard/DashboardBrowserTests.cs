using System.Net;
using Amazon.SQS;
using Amazon.SQS.Model;
using Messaging.Engine.Aws;
using Messaging.Engine.DeadLetters;
using Messaging.Engine.Persistence;
using Messaging.Host.Tests.Api;
using Messaging.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;

namespace Messaging.Host.Tests.Dashboard;

/// <summary>
/// The dashboard in a real browser: Debian's headless Chromium driven by Playwright for .NET, against the real host on
/// a loopback port. A screenshot is kept in <c>.artifacts/</c>.
/// </summary>
public sealed class DashboardBrowserTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task An_operator_connects_looks_up_a_message_and_redrives_a_dead_letter_which_is_then_sent()
    {
        await using var host = await OperatorHost.StartAsync(peers, kestrel: true);
        var sqs = host.Services.GetRequiredService<IAmazonSQS>();
        var requests = (await sqs.GetQueueUrlAsync($"{host.Prefix}-requests")).QueueUrl;
        var dlq = (await sqs.GetQueueUrlAsync($"{host.Prefix}-dlq")).QueueUrl;
        var to = host.Address("ana");
        await sqs.SendMessageAsync(requests, $$$"""{"schema":"messaging.request.v1","messageId":"looked-up","channel":"email","to":"{{{to}}}","content":{"subject":"Hi","text":"Hello"}}""");
        // A request an earlier outage sent to the DLQ, as the engine writes it there.
        await sqs.SendMessageAsync(new SendMessageRequest
        {
            QueueUrl = dlq,
            MessageBody = $$$"""{"schema":"messaging.request.v1","messageId":"stranded","channel":"email","to":"{{{host.Address("bo")}}}","content":{"subject":"Hi","text":"Hello"}}""",
            MessageAttributes = new Dictionary<string, MessageAttributeValue>
            {
                [DeadLetterWriter.ErrorAttribute] = MessageAttributeValue.String("gave up after 3 attempt(s); last error: SES Transient InternalFailure"),
                [DeadLetterWriter.AttemptsAttribute] = MessageAttributeValue.Number(3),
                [DeadLetterWriter.SourceQueueAttribute] = MessageAttributeValue.String($"{host.Prefix}-requests"),
                [DeadLetterWriter.MessageIdAttribute] = MessageAttributeValue.String("stranded"),
            },
        });
        var journal = host.Services.GetRequiredService<IJournal>();
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("looked-up", default))?.Status == "sent", Deadline, "the first request is sent");

        using var playwright = await Playwright.CreateAsync();
        await using var browser = await playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = "/usr/bin/chromium",
            Headless = true,
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
        var page = await browser.NewPageAsync(new BrowserNewPageOptions { ViewportSize = new ViewportSize { Width = 1280, Height = 1400 } });
        var response = await page.GotoAsync(new Uri(host.BaseAddress, "/dashboard").ToString());
        Assert.Equal((int)HttpStatusCode.OK, response!.Status);

        await page.FillAsync("#token", OperatorTokens.Hs256("operator"));
        await page.ClickAsync("#connect button");
        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("connected");

        await page.FillAsync("#lookup-key", "looked-up");
        await page.ClickAsync("#lookup button");
        await Assertions.Expect(page.Locator("dd[data-fact=status]")).ToHaveTextAsync("sent");
        await Assertions.Expect(page.Locator("dd[data-fact=recipient]")).ToHaveTextAsync($"email:{to}");

        var row = page.Locator("#dlq tbody tr", new PageLocatorOptions { HasText = "stranded" });
        await Assertions.Expect(row).ToContainTextAsync("SES Transient InternalFailure");
        await Assertions.Expect(page.Locator("#queues tbody")).ToContainTextAsync($"{host.Prefix}-requests");
        // The cluster panel: this host alone, a one-node Akka cluster, its own leader.
        var self = Akka.Cluster.Cluster.Get(host.Services.GetRequiredService<Akka.Actor.ActorSystem>()).SelfAddress.ToString();
        var member = page.Locator("#cluster tbody tr");
        await Assertions.Expect(member).ToHaveCountAsync(1);
        await Assertions.Expect(member).ToContainTextAsync($"{self} (leader)");
        await Assertions.Expect(member.Locator("td").Nth(1)).ToHaveTextAsync("up");
        await Assertions.Expect(page.Locator("#cluster-summary")).ToContainTextAsync($"leader: {self}");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ArtifactPath("dashboard.png"), FullPage = true });
        await row.Locator("button").ClickAsync();

        await Assertions.Expect(page.Locator("#status")).ToContainTextAsync("redriven: 1");
        await Assertions.Expect(page.Locator("#dlq tbody tr")).ToHaveCountAsync(0);
        await AwaitCondition.UntilAsync(async () => (await journal.FindMessageAsync("stranded", default))?.Status == "sent", Deadline, "the redriven request is sent");
        await Assertions.Expect(page.Locator("#outcomes tbody")).ToContainTextAsync("sent");
        await page.ScreenshotAsync(new PageScreenshotOptions { Path = ArtifactPath("dashboard-after-redrive.png"), FullPage = true });
    }

    private static string ArtifactPath(string name)
    {
        var directory = RepositoryLayout.PathOf(".artifacts", "browser");
        Directory.CreateDirectory(directory);
        return Path.Combine(directory, name);
    }
}
