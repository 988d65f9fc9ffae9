using System.Text.Json;
using Messaging.Engine.Persistence;
using Messaging.Host.Api;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Messaging.Host.Tests.Api;

/// <summary>What the operator API answers when a recipient entity does not answer in time or storage fails.</summary>
public sealed class DependencyFailureHandlerTests
{
    private static async Task<(bool Handled, int Status, string Body)> HandleAsync(Exception exception)
    {
        await using var services = new ServiceCollection().AddLogging().AddProblemDetails().BuildServiceProvider();
        var context = new DefaultHttpContext { RequestServices = services };
        context.Response.Body = new MemoryStream();
        var handler = new DependencyFailureHandler(services.GetRequiredService<IProblemDetailsService>());

        var handled = await handler.TryHandleAsync(context, exception, default);

        context.Response.Body.Position = 0;
        return (handled, context.Response.StatusCode, await new StreamReader(context.Response.Body).ReadToEndAsync());
    }

    [Fact]
    public async Task An_entity_that_does_not_answer_in_time_is_a_503_with_the_reason()
    {
        var (handled, status, body) = await HandleAsync(new Akka.Actor.AskTimeoutException("Timeout after 00:00:30 seconds"));

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        using var problem = JsonDocument.Parse(body);
        Assert.Equal("A dependency failed", problem.RootElement.GetProperty("title").GetString());
        Assert.Equal("Timeout after 00:00:30 seconds", problem.RootElement.GetProperty("detail").GetString());
    }

    [Fact]
    public async Task A_storage_failure_an_entity_answers_is_a_503_with_the_reason()
    {
        var (handled, status, body) = await HandleAsync(new JournalStorageException("Write(email:a@x.test #1) failed in SQLite at data/engine.db: disk I/O error"));

        Assert.True(handled);
        Assert.Equal(StatusCodes.Status503ServiceUnavailable, status);
        Assert.Contains("disk I/O error", body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Any_other_failure_is_left_to_the_next_handler()
    {
        var (handled, status, _) = await HandleAsync(new InvalidOperationException("a bug"));

        Assert.False(handled);
        Assert.Equal(StatusCodes.Status200OK, status);
    }
}
