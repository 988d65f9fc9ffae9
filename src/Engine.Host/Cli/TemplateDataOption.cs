using System.Text.Json;

namespace Messaging.Host.Cli;

/// <summary>
/// <c>--data</c>, the same for <c>send</c> and <c>templates preview</c>: a JSON object inline, or <c>@FILE</c> (a plain
/// path works too) to read one from a file.
/// </summary>
internal static class TemplateDataOption
{
    public const string Description = "Template variables: a JSON object inline ('{\"name\":\"Ana\"}'), or @FILE to read one from a file.";

    /// <summary>The object, or why <paramref name="given"/> is not one.</summary>
    public static async Task<(JsonElement? Data, string? Problem)> ReadAsync(string given, CancellationToken cancellationToken)
    {
        var inline = given.TrimStart().StartsWith('{');
        var path = given.StartsWith('@') ? given[1..] : given;
        string text;
        try
        {
            text = inline ? given : await File.ReadAllTextAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException)
        {
            return (null, $"--data: cannot read {Path.GetFullPath(path)} ({CliText.OneLine(e.Message)}); give a JSON object inline or @FILE");
        }

        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                ? (document.RootElement.Clone(), null)
                : (null, $"--data{(inline ? "" : $" ({path})")} must be a JSON object, not {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
        }
        catch (JsonException e)
        {
            return (null, $"--data{(inline ? "" : $" ({path})")} is not valid JSON: {CliText.OneLine(e.Message)}");
        }
    }
}
