namespace Messaging.Host.Cli;

/// <summary>The commands' human-readable output: columns padded to their widest cell, the last one left ragged.</summary>
internal static class CliTable
{
    public static void Write(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = rows.Prepend(header).Select(r => r.Select(CliText.Cell).ToArray()).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            output.WriteLine(string.Join("  ", row.Select((cell, i) => i == row.Length - 1 ? cell : cell.PadRight(widths[i]))).TrimEnd());
        }
    }
}
