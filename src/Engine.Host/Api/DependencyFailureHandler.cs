using Messaging.Engine.Persistence;
using Microsoft.AspNetCore.Diagnostics;

namespace Messaging.Host.Api;

/// <summary>
/// Storage down (an entity answers a failed persist with the storage's failure) or an entity that did not answer in
/// time: 503 with the reason, not a bare 500.
/// </summary>
internal sealed class DependencyFailureHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not (JournalStorageException or Akka.Actor.AskTimeoutException))
        {
            return false;
        }

        httpContext.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = StatusCodes.Status503ServiceUnavailable, Title = "A dependency failed", Detail = exception.Message },
        }).ConfigureAwait(false);
    }
}
