using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace Messaging.Host.Api;

/// <summary>
/// Kestrel refuses a request line or headers over its limits before any middleware runs, with a bare 414 or 431 and
/// no body. So Kestrel's own limits are set higher (<see cref="ServerRequestLine"/>, <see cref="ServerHeaders"/>) and
/// the engine's limits are enforced here, where the answer can say what to change.
/// </summary>
internal static class RequestSizeLimits
{
    /// <summary>The longest request target (path and query) the engine takes, in bytes.</summary>
    public const int RequestTarget = 8 * 1024;

    /// <summary>The most header bytes (names and values) the engine takes.</summary>
    public const int Headers = 32 * 1024;

    /// <summary>The largest body an operator endpoint takes (reasons, selections, versions), in bytes.</summary>
    public const long Body = 64 * 1024;

    /// <summary>The largest preview body: as much data as a request on SQS can carry (1 MiB), so any request can be previewed.</summary>
    public const long PreviewBody = 1024 * 1024;

    /// <summary>The longest reason (suppression, unsuppression, pause, resume), in characters: a note, not a document.</summary>
    public const int Reason = 1_000;

    /// <summary>Kestrel's limits, above the engine's: past these only a bare answer is possible.</summary>
    public const int ServerRequestLine = 64 * 1024;

    public const int ServerHeaders = 64 * 1024;

    public static void ConfigureServer(KestrelServerOptions options)
    {
        options.Limits.MaxRequestLineSize = ServerRequestLine;
        options.Limits.MaxRequestHeadersTotalSize = ServerHeaders;
    }

    public static IApplicationBuilder UseRequestSizeLimits(this IApplicationBuilder app) => app.Use(async (context, next) =>
    {
        var request = context.Request;
        var target = request.PathBase.Value!.Length + request.Path.Value!.Length + request.QueryString.Value!.Length;
        if (target > RequestTarget)
        {
            await Problem(context, StatusCodes.Status414UriTooLong, "URI too long",
                $"the request target is {target} bytes; the limit is {RequestTarget}: send long input in a body").ConfigureAwait(false);
            return;
        }

        var headers = 0L;
        foreach (var (name, values) in request.Headers)
        {
            headers += name.Length + values.Sum(v => (long)(v?.Length ?? 0));
        }

        if (headers > Headers)
        {
            await Problem(context, StatusCodes.Status431RequestHeaderFieldsTooLarge, "Request headers too large",
                $"the request headers are {headers} bytes; the limit is {Headers}").ConfigureAwait(false);
            return;
        }

        await next(context).ConfigureAwait(false);
    });

    private static Task Problem(HttpContext context, int status, string title, string detail) =>
        Results.Problem(statusCode: status, title: title, detail: detail).ExecuteAsync(context);
}
