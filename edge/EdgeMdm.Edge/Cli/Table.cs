using EdgeMdm.Domain.Text;

namespace EdgeMdm.Edge.Cli;

/// <summary>An operator command's table, on the console (<see cref="TextTable"/>).</summary>
public static class Table
{
    public static void Write(IReadOnlyList<string> headers, IEnumerable<string[]> rows) => TextTable.Write(Console.Out, headers, rows);
}
