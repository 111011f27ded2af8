using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the durable-writes scenario: the store's group commit against raw SQLite, issue 29's target.</summary>
internal static class DurableWritesReport
{
    public const double RatioTarget = 0.8;

    public static string Render(DurableResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var text = Scenario("## Durable writes: the store's group commit against raw SQLite", startedAt, "nothing else of the bench runs meanwhile; both loops run in the bench's own process, one after the other")
            .AppendLine(Invariant($"- each write: one row (a device id, a time, {1200} bytes: about a check-in's status), durable before the caller goes on; both databases opened as the appliance opens its own (WAL, `synchronous=FULL`, the writer's 32 MiB cache, in-memory temp store), on the disk the bench runs from"))
            .AppendLine(Invariant($"- store: `GroupCommitWriter`, N callers each awaiting one write after another; raw: one thread, one prepared `INSERT` through SQLitePCL, `BEGIN IMMEDIATE` … `COMMIT` every G rows, G the store's mean group in the same row; {r.Duration.TotalSeconds:0} s measured after 1 s each"))
            .AppendTargetsTable();
        foreach (var row in r.Rows)
        {
            var bold = row.Callers > 1 ? "**" : "";
            var target = row.Callers > 1 ? Invariant($"≥ {RatioTarget:0.0}×") : "";
            var verdict = row.Callers > 1 ? Verdict(row.Ratio >= RatioTarget) : "";
            text.AppendLine(Invariant(
                $"| {bold}store / raw SQLite, {row.Callers} caller(s){bold}: {row.Store.WritesPerSecond:0} / {row.Raw.WritesPerSecond:0} writes/s, groups of {row.Store.MeanGroup:0.0} | {row.Ratio:0.00}× | {target} | {verdict} |"));
        }

        return text.ToString();
    }
}
