namespace EdgeMdm.Domain.Text;

/// <summary>
/// Left-aligned columns, two spaces apart, as people read them in a terminal: the tables of the admin CLI and of the
/// appliance's operator commands alike. The caller owns <c>output</c> (the console, or a writer a test reads).
/// </summary>
public static class TextTable
{
    public static void Write(TextWriter output, IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(headers);
        ArgumentNullException.ThrowIfNull(rows);
        var all = rows.ToList();
        var widths = headers.Select((h, i) => all.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        output.WriteLine(Line(headers, widths));
        foreach (var row in all)
            output.WriteLine(Line(row, widths));
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
