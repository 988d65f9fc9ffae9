using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;

namespace Messaging.Host.Api;

/// <summary>
/// A body or parameter the endpoint could not read (not JSON, the wrong shape, a number that is not one, a missing
/// body): Problem Details with what could not be read and why, instead of a bare status. Route handlers throw these
/// because <c>RouteHandlerOptions.ThrowOnBadRequest</c> is set.
/// </summary>
internal sealed class BadRequestHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is not BadHttpRequestException bad)
        {
            return false;
        }

        httpContext.Response.StatusCode = bad.StatusCode;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = { Status = bad.StatusCode, Title = "The request could not be read", Detail = Describe(bad) },
        }).ConfigureAwait(false);
    }

    /// <summary>The framework's sentence names the parameter; the JSON reader's says where in the body it went wrong.</summary>
    private static string Describe(BadHttpRequestException bad) => bad.InnerException switch
    {
        JsonException json => $"{bad.Message} {json.Message}",
        { } inner when inner is not BadHttpRequestException => $"{bad.Message} {inner.Message}",
        _ => bad.Message,
    };
}
