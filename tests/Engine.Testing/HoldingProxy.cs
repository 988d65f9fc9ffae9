using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Messaging.Testing;

/// <summary>
/// A pass-through HTTP proxy in front of a real peer (the SES peer), on a free loopback port. Every request is
/// forwarded unchanged; a request the <see cref="HoldResponse"/> rule picks is forwarded, but its answer is kept back
/// until <see cref="ReleaseAll"/> — so a test can stop a process after the provider acted but before it heard so.
/// </summary>
public sealed class HoldingProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _forward = new();
    private readonly TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly System.Collections.Concurrent.ConcurrentQueue<ForwardedRequest> _forwarded = new();
    private int _held;

    private HoldingProxy(WebApplication app) => _app = app;

    /// <summary>Picks, by path and body, the requests whose answers are held back.</summary>
    public Func<string, string, bool> HoldResponse { get; set; } = (_, _) => false;

    /// <summary>Requests forwarded whose answer is being held.</summary>
    public int Held => Volatile.Read(ref _held);

    public Uri Endpoint { get; private set; } = null!;

    public static async Task<HoldingProxy> StartAsync(Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseKestrel(o => o.Listen(IPAddress.Loopback, 0));
        var app = builder.Build();
        var proxy = new HoldingProxy(app);
        app.Run(context => proxy.ForwardAsync(context, target));
        await app.StartAsync();
        proxy.Endpoint = new Uri(app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<IServerAddressesFeature>()!.Addresses.First());
        return proxy;
    }

    public void ReleaseAll() => _release.TrySetResult();

    /// <summary>Every request forwarded and answered so far, with when it arrived here (the provider's view of time).</summary>
    public IReadOnlyList<ForwardedRequest> Forwarded => [.. _forwarded];

    /// <summary>How many requests have been forwarded and answered so far.</summary>
    public int ForwardedCount => _forwarded.Count;

    private async Task ForwardAsync(HttpContext context, Uri target)
    {
        var arrivedAt = DateTimeOffset.UtcNow;
        using var body = new MemoryStream();
        await context.Request.Body.CopyToAsync(body, context.RequestAborted);
        var bytes = body.ToArray();
        var path = context.Request.Path + context.Request.QueryString;
        using var outgoing = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(target, path))
        {
            Content = new ByteArrayContent(bytes),
        };
        foreach (var header in context.Request.Headers)
        {
            if (header.Key is "Content-Length" or "Transfer-Encoding")
            {
                continue;
            }

            if (header.Key is "Host")
            {
                // As the caller sent it: a peer that checks the SigV4 signature (the provider simulator) needs the host signed.
                outgoing.Headers.Host = header.Value.ToString();
                continue;
            }

            if (!outgoing.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray()))
            {
                outgoing.Content.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }
        }

        using var answer = await _forward.SendAsync(outgoing, context.RequestAborted);
        var answerBody = await answer.Content.ReadAsByteArrayAsync(context.RequestAborted);
        _forwarded.Enqueue(new ForwardedRequest(arrivedAt, context.Request.Path, System.Text.Encoding.UTF8.GetString(bytes), (int)answer.StatusCode));
        if (HoldResponse(context.Request.Path, System.Text.Encoding.UTF8.GetString(bytes)))
        {
            Interlocked.Increment(ref _held);
            // The caller may be killed while it waits: that ends this request too.
            await _release.Task.WaitAsync(context.RequestAborted);
        }

        context.Response.StatusCode = (int)answer.StatusCode;
        foreach (var header in answer.Headers.Concat(answer.Content.Headers))
        {
            if (header.Key is not ("Transfer-Encoding" or "Content-Length"))
            {
                context.Response.Headers[header.Key] = header.Value.ToArray();
            }
        }

        await context.Response.Body.WriteAsync(answerBody, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        ReleaseAll();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _forward.Dispose();
    }
}

/// <summary>One request the proxy forwarded: when it arrived, where to, its body, and the peer's status code.</summary>
public sealed record ForwardedRequest(DateTimeOffset ArrivedAt, string Path, string Body, int Status);
