namespace EdgeMdm.Bench;

/// <summary>What the reports' markdown shares: figures in the invariant culture, the scenarios' opening lines, targets and verdicts.</summary>
internal static class ReportMarkdown
{
    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    /// <summary>A scenario's heading and its first line: when it ran, and what shares the machine's CPUs.</summary>
    public static StringBuilder Scenario(string heading, DateTimeOffset startedAt, string sharing) =>
        new StringBuilder()
            .AppendLine(heading)
            .AppendLine()
            .AppendLine(Invariant($"- date: {startedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC; machine: {Environment.ProcessorCount} CPUs; {sharing}"));

    /// <summary>A blank line and the head of the table that holds each figure against its target.</summary>
    public static StringBuilder AppendTargetsTable(this StringBuilder text) =>
        text.AppendLine()
            .AppendLine("| figure | measured | target | result |")
            .AppendLine("|---|--:|--:|---|");

    public static string Verdict(bool pass) => pass ? "pass" : "**FAIL**";
}
