using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the line-rate scenario: its rounds and issue 29's targets.</summary>
internal static class LineRateReport
{
    public const double LinkTarget = 0.95;
    public const double LatencyTarget = 1.5;

    /// <summary>
    /// The most TCP payload a 1500-byte-MTU Ethernet frame carries, as tbf counts the frame (14 bytes of Ethernet, 20
    /// of IP, 32 of TCP with timestamps): 1448 of 1514. TLS records add about 0.1 % more.
    /// </summary>
    public const double PayloadCeiling = 1448.0 / 1514;

    public static string Render(LineRateResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var text = Scenario("## Package downloads, line rate: through a shaped link, over TLS", startedAt, "hub, appliance and clients share them");
        text.AppendLine(Invariant($"- link: a veth pair into a network namespace, the appliance-to-devices direction shaped by tc tbf to {r.LinkMegabits} Mbit/s ({r.LinkBytesPerSecond / 1048576.0:0.0} MiB/s of frames; at most {PayloadCeiling:0.000}× of it is TCP payload at MTU 1500); tc at the end: {r.LinkStats}"))
            .AppendLine(Invariant($"- package: {r.PackageBytes >> 20} MiB of random bytes; {r.Clients} devices in the link's namespace each download it whole, all at once, per round, over the site TLS with their own credential; the probe ({ProbeLoad.Devices} devices, one check-in each per {ProbeLoad.Period.TotalMilliseconds:0} ms) checks in over loopback, in the rounds and alone in idle windows between them"));
        var v = r.Appliance;
        var linkRatio = v.BytesPerSecond / r.LinkBytesPerSecond;
        var latencyRatio = v.During.P99Ms / v.Idle.P99Ms;
        text.AppendLine()
            .AppendLine(Invariant($"- the appliance fetched and verified the package in {v.FetchSeconds:0.0} s; probe errors {v.ProbeErrors}"))
            .AppendLine()
            .AppendLine("| round | MiB | seconds | MiB/s | × link | complete | check-in p50 / p99 | appliance CPU s |")
            .AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var round in v.Rounds.Prepend(v.Warmup))
            text.AppendLine(Invariant($"| {round.Name} | {round.Bytes / 1048576.0:0} | {round.Seconds:0.00} | {round.BytesPerSecond / 1048576.0:0.0} | {round.BytesPerSecond / r.LinkBytesPerSecond:0.000} | {round.Complete}/{round.Clients} | {(round.Checkins.Count == 0 ? "–" : $"{round.Checkins.P50Ms:0.0} / {round.Checkins.P99Ms:0.0} ms")} | {round.ServerCpuSeconds:0.00} |"));
        text.AppendTargetsTable()
            .AppendLine(Invariant($"| **downloads / link** (all measured rounds) | {v.BytesPerSecond / 1048576.0:0.0} MiB/s = {linkRatio:0.000}× (payload ceiling {PayloadCeiling:0.000}×) | ≥ {LinkTarget:0.00}× | {Verdict(linkRatio >= LinkTarget)} |"))
            .AppendLine(Invariant($"| check-in p50 / p99, idle (every check-in of the {v.IdleWindowSamples.Count - 1} idle windows after the first) | {v.Idle.P50Ms:0.0} / {v.Idle.P99Ms:0.0} ms ({v.Idle.Count} check-ins) | | |"))
            .AppendLine(Invariant($"| **check-in p99 while downloads run / idle** (every check-in of the measured rounds) | {v.During.P99Ms:0.0} ms = {latencyRatio:0.00}× ({v.During.Count} check-ins) | ≤ {LatencyTarget:0.0}× | {Verdict(latencyRatio <= LatencyTarget)} |"));

        return text.ToString();
    }
}
