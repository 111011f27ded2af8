namespace EdgeMdm.Edge.Cli;

/// <summary>Left-aligned columns, two spaces apart, as people read them in a terminal.</summary>
public static class Table
{
    public static void Write(IReadOnlyList<string> headers, IEnumerable<string[]> rows)
    {
        var all = rows.ToList();
        var widths = headers.Select((h, i) => all.Select(r => r[i].Length).Append(h.Length).Max()).ToArray();
        Console.WriteLine(Line(headers, widths));
        foreach (var row in all)
            Console.WriteLine(Line(row, widths));
    }

    private static string Line(IReadOnlyList<string> cells, int[] widths) =>
        string.Join("  ", cells.Select((c, i) => i == cells.Count - 1 ? c : c.PadRight(widths[i]))).TrimEnd();
}
