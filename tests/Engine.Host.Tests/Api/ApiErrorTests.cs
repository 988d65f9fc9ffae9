using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Messaging.Testing;

namespace Messaging.Host.Tests.Api;

/// <summary>
/// Every error the API gives, including those Kestrel would answer itself (a long target, large headers), is Problem
/// Details with a <c>detail</c> that says what to change. Sent as raw HTTP/1.1 to the real server.
/// </summary>
public sealed class ApiErrorTests(LocalAwsPeers peers) : IClassFixture<LocalAwsPeers>
{
    /// <summary>Sends <paramref name="head"/> (request line and headers, no blank line) and <paramref name="body"/>; returns the status and the body.</summary>
    private static async Task<(int Status, string Body)> RawAsync(Uri server, string head, string body = "")
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(server.Host, server.Port);
        var stream = tcp.GetStream();
        var request = $"{head}\r\nHost: {server.Authority}\r\nAuthorization: Bearer {OperatorTokens.Hs256("operator")}\r\n" +
                      $"Content-Length: {Encoding.UTF8.GetByteCount(body)}\r\nConnection: close\r\n\r\n{body}";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request));
        using var reader = new StreamReader(stream, Encoding.UTF8);
        var response = await reader.ReadToEndAsync();
        var status = int.Parse(response.Split(' ', 3)[1], System.Globalization.CultureInfo.InvariantCulture);
        var headEnd = response.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        var content = response[(headEnd + 4)..];
        return (status, response[..headEnd].Contains("Transfer-Encoding: chunked", StringComparison.OrdinalIgnoreCase) ? Unchunk(content) : content);
    }

    private static string Unchunk(string chunked)
    {
        var body = new StringBuilder();
        for (var at = 0; ;)
        {
            var lineEnd = chunked.IndexOf("\r\n", at, StringComparison.Ordinal);
            var size = Convert.ToInt32(chunked[at..lineEnd], 16);
            if (size == 0)
            {
                return body.ToString();
            }

            body.Append(chunked, lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    }

    private static string Detail((int Status, string Body) response, int expected)
    {
        Assert.True(response.Status == expected, $"expected {expected}, got {response.Status}: {response.Body}");
        Assert.False(response.Body.Length == 0, $"{expected} came with an empty body");
        var problem = JsonDocument.Parse(response.Body).RootElement;
        Assert.Equal(expected, problem.GetProperty("status").GetInt32());
        Assert.True(problem.TryGetProperty("detail", out var detail), $"no detail: {response.Body}");
        return detail.GetString()!;
    }

    [Fact]
    public async Task Oversized_targets_and_headers_get_problem_details_with_the_limit()
    {
        await using var host = await OperatorHost.StartAsync(peers, kestrel: true);
        var server = host.BaseAddress;

        Assert.Equal("the request target is 10013 bytes; the limit is 8192: send long input in a body",
            Detail(await RawAsync(server, $"GET /messages/{new string('a', 10_003)} HTTP/1.1"), 414));
        Assert.StartsWith("the request headers are ",
            Detail(await RawAsync(server, $"GET /reputation HTTP/1.1\r\nX-Padding: {new string('b', 40_000)}"), 431));

        // Kestrel refuses a path that decodes to NUL while parsing the request line, before any middleware: a bare 400
        // (docs/operator-api.md says so). It is refused, and the server carries on.
        Assert.Equal(400, (await RawAsync(server, "GET /messages/a%00b HTTP/1.1")).Status);
        Assert.Equal(200, (await RawAsync(server, "GET /health/live HTTP/1.1")).Status);
    }

    [Fact]
    public async Task Bodies_and_parameters_that_cannot_be_read_say_which_and_why()
    {
        await using var host = await OperatorHost.StartAsync(peers, kestrel: true);
        var server = host.BaseAddress;
        var suppression = $"PUT /recipients/email/{host.Address("ana")}/suppression HTTP/1.1\r\nContent-Type: application/json";

        Assert.Contains("LineNumber", Detail(await RawAsync(server, suppression, """{"reason": """), 400), StringComparison.Ordinal);
        Assert.Contains("body", Detail(await RawAsync(server, suppression), 400), StringComparison.Ordinal);
        Assert.Contains("\"abc\"", Detail(await RawAsync(server, "GET /suppressions?limit=abc HTTP/1.1"), 400), StringComparison.Ordinal);
        Assert.Contains("text/plain", Detail(await RawAsync(server, $"PUT /recipients/email/{host.Address("ana")}/suppression HTTP/1.1\r\nContent-Type: text/plain", "x"), 415),
            StringComparison.Ordinal);
        Assert.Equal("no endpoint answers GET /nowhere: the operator API is described at /openapi/v1.json",
            Detail(await RawAsync(server, "GET /nowhere HTTP/1.1"), 404));
    }
}
