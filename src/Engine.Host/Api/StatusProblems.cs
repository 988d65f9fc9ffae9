using Microsoft.AspNetCore.Http.Metadata;

namespace Messaging.Host.Api;

/// <summary>A <c>detail</c> for the statuses the framework answers without one (no such endpoint, wrong method, a body too large or not JSON).</summary>
internal static class StatusProblems
{
    public static void Describe(ProblemDetailsContext context)
    {
        var request = context.HttpContext.Request;
        context.ProblemDetails.Detail ??= context.ProblemDetails.Status switch
        {
            StatusCodes.Status404NotFound => $"no endpoint answers {request.Method} {request.Path}: the operator API is described at /openapi/v1.json",
            StatusCodes.Status405MethodNotAllowed => $"{request.Path} does not take {request.Method}: the operator API is described at /openapi/v1.json",
            StatusCodes.Status413PayloadTooLarge =>
                $"the body is larger than {request.Path} takes: at most {context.HttpContext.GetEndpoint()?.Metadata.GetMetadata<IRequestSizeLimitMetadata>()?.MaxRequestBodySize} bytes",
            StatusCodes.Status415UnsupportedMediaType =>
                $"the body must be JSON: send 'Content-Type: application/json' (this request's is '{request.ContentType}')",
            _ => null,
        };
    }
}
