using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the site scenario: steady check-ins and a shift change, open loop, against issue 29's targets.</summary>
internal static class SiteLoadReport
{
    public const double SteadyP99TargetMs = 10;
    public const double ShiftP99TargetMs = 50;

    public static string Render(SiteLoadResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var o = r.Options;
        var text = Scenario("## A site's shape: steady check-ins and a shift change, open loop, over the site's TLS", startedAt, "the appliance at the normal CPU weight, the load generator at the least")
            .AppendLine(Invariant($"- the appliance (`edgemdm-edge serve`, https with the site certificate, pinned) with {r.Devices} devices enrolled; latency from each check-in's scheduled moment to its answer (open loop)"))
            .AppendLine(Invariant($"- steady: {o.SiteRate} check-ins/s round-robin over the devices (one request per device at a time) for {o.SiteDuration.TotalSeconds:0} s after 10 s unmeasured, over at most 200 kept-alive connections; the server used {r.SteadyServerCores:0.00} cores; took {r.Steady.Seconds:0.0} s"))
            .AppendLine(Invariant($"- shift change: every device once at a random moment within {o.ShiftWindow.TotalSeconds:0} s, each on a new TLS connection (full handshake); {Spent(r.Shift)}"))
            .AppendLine(Invariant($"- then the shift change again, each new connection resuming a TLS session (devices back from a break shorter than a ticket lives); {Spent(r.ResumedShift)}"))
            .AppendTargetsTable()
            .AppendLine(Invariant($"| steady, p50 | {r.Steady.Percentile(0.50):0.0} ms | | |"))
            .AppendLine(Invariant($"| **steady, p99** ({r.Steady.SortedLatenciesMs.Length} check-ins, {r.Steady.Errors} errors) | {r.Steady.Percentile(0.99):0.0} ms | ≤ {SteadyP99TargetMs:0} ms | {Verdict(r.Steady.Percentile(0.99) <= SteadyP99TargetMs && r.Steady.Errors == 0)} |"))
            .AppendLine(Invariant($"| shift change, p50 | {r.Shift.CheckIns.Percentile(0.50):0.0} ms | | |"))
            .AppendLine(Invariant($"| **shift change, p99** ({r.Shift.CheckIns.SortedLatenciesMs.Length} check-ins) | {r.Shift.CheckIns.Percentile(0.99):0.0} ms | ≤ {ShiftP99TargetMs:0} ms | {Verdict(r.Shift.CheckIns.Percentile(0.99) <= ShiftP99TargetMs)} |"))
            .AppendLine(Invariant($"| **shift change, errors** | {r.Shift.CheckIns.Errors} | 0 | {Verdict(r.Shift.CheckIns.Errors == 0)} |"))
            .AppendLine(Invariant($"| shift change, sessions resumed, p50 | {r.ResumedShift.CheckIns.Percentile(0.50):0.0} ms | | |"))
            .AppendLine(Invariant($"| shift change, sessions resumed, p99 ({r.ResumedShift.CheckIns.SortedLatenciesMs.Length} check-ins, {r.ResumedShift.CheckIns.Errors} errors) | {r.ResumedShift.CheckIns.Percentile(0.99):0.0} ms | – | (for reading) |"))
            .AppendLine()
            .AppendLine("The same check-ins as the appliance timed them (`edgemdm.checkin.duration`: from the body read to the answer, the commit included; no TLS, no connection set-up, none of the load generator's own time):")
            .AppendLine()
            .AppendLine("| phase | check-ins | within 5 ms | within 10 ms | within 20 ms | p99 in |")
            .AppendLine("|---|--:|--:|--:|--:|---|")
            .AppendLine(OnServer("steady", r.SteadyOnServer))
            .AppendLine(OnServer("shift change", r.Shift.OnServer))
            .AppendLine(OnServer("shift change, sessions resumed", r.ResumedShift.OnServer));
        return text.ToString();

        static string Spent(ShiftFigures shift) =>
            Invariant($"the server used {shift.ServerCores:0.00} cores, {shift.CpuMsPerCheckin:0.00} ms of CPU per check-in; all answered {shift.CheckIns.Seconds:0.0} s after the first was due");
    }

    private static string OnServer(string phase, CheckinHistogram h) =>
        Invariant($"| {phase} | {h.Total} | {h.ShareWithin(0.005):0.00%} | {h.ShareWithin(0.01):0.00%} | {h.ShareWithin(0.02):0.00%} | {h.BucketOf(0.99)} |");
}
