using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the download scenario: each round, the targets of issue 4, pass or fail per target.</summary>
internal static class DownloadReport
{
    public const double ThroughputTarget = 0.9;
    public const long MemoryTargetBytes = 64L << 20;
    public const double LatencyTarget = 2.0;

    public static string Render(DownloadResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        // Totals over the rounds: both servers moved the same bytes, so the ratio of totals is the ratio of rates.
        var nginxRate = Rate(r.Nginx);
        var applianceRate = Rate(r.Appliance);
        var throughputRatio = applianceRate / nginxRate;
        var growth = r.ApplianceGrowth;
        var duringP99 = r.ApplianceCheckins.P99Ms;
        var latencyRatio = duringP99 / r.Idle.P99Ms;

        var text = Scenario("## Package downloads, ceiling: the appliance beside nginx, both over TLS, unshaped", startedAt, "hub, appliance, nginx and clients share them");
        text.AppendLine(Invariant($"- package: {r.PackageBytes >> 20} MiB of random bytes; {r.Clients} clients each download it whole, all at once, per round, over TLS (pinned site certificate, HTTP/1.1); after one unmeasured warm-up round each, rounds alternate nginx and the appliance; the probe checks in at the appliance during every round, and alone in idle windows before the warm-up and after each appliance round"))
            .AppendLine(Invariant($"- TLS negotiated with the same client offer: {string.Join("; ", r.Sessions)}{(r.Sessions.Select(x => x.Protocol + x.CipherSuite + x.Alpn).Distinct(StringComparer.Ordinal).Count() == 1 ? " (the same)" : " (**they differ**: the ratio compares different TLS work)")}"))
            .AppendLine(Invariant($"- the appliance fetched it from the hub and verified it in {r.FetchSeconds:0.0} s; probe: {ProbeLoad.Devices} devices checking in every {ProbeLoad.Period.TotalMilliseconds:0} ms; probe errors {r.ProbeErrors}"))
            .AppendLine()
            .AppendLine("| round | server | MiB | seconds | MiB/s | complete | resident before → peak | check-in p50 / p99 | server CPU s | CPU ms / GiB | machine busy cores |")
            .AppendLine("|--:|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        for (var i = 0; i < r.Nginx.Count; i++)
        {
            text.AppendLine(Round(i + 1, r.Nginx[i]));
            if (i < r.Appliance.Count)
                text.AppendLine(Round(i + 1, r.Appliance[i]));
        }

        text.AppendTargetsTable()
            .AppendLine(Invariant($"| throughput, nginx / appliance (all rounds) | {nginxRate:0} / {applianceRate:0} MiB/s | | |"))
            .AppendLine(Invariant($"| server CPU per GiB, nginx / appliance (all rounds; the appliance's includes its check-ins) | {CpuPerGib(r.Nginx):0} / {CpuPerGib(r.Appliance):0} ms | | |"))
            .AppendLine(Invariant($"| **appliance / nginx throughput** | {throughputRatio:0.00}× | ≥ {ThroughputTarget:0.0}× | {Verdict(throughputRatio >= ThroughputTarget)} |"))
            .AppendLine(Invariant($"| **appliance memory growth** (highest peak in any round, warm-up included, over the memory before the first download) | {growth / 1048576.0:0.0} MiB | ≤ {MemoryTargetBytes >> 20} MiB | {Verdict(growth <= MemoryTargetBytes)} |"))
            .AppendLine(Invariant($"| check-in p50 / p99, idle (every check-in of the {r.IdleWindows.Count - 1} idle windows after the warm-up) | {r.Idle.P50Ms:0.0} / {r.Idle.P99Ms:0.0} ms ({r.Idle.Count} check-ins) | | |"))
            .AppendLine(Invariant($"| check-in p99 of each idle window: before the warm-up, then after each appliance round | {string.Join(" / ", r.IdleWindows.Select(w => w.P99Ms.ToString("0.0", CultureInfo.InvariantCulture)))} ms | | |"))
            .AppendLine(Invariant($"| check-in p99 while downloads run / the first idle window alone (the estimator until 2026-12-05) | {duringP99 / r.IdleWindows[0].P99Ms:0.00}× | | |"))
            .AppendLine(Invariant($"| check-in p99 while nginx serves (all its rounds; the same machine saturated by another process) | {r.NginxCheckins.P99Ms:0.0} ms = {r.NginxCheckins.P99Ms / r.Idle.P99Ms:0.00}× ({r.NginxCheckins.Count} check-ins) | | |"))
            .AppendLine(Invariant($"| **check-in p99 while downloads run / idle** (every check-in of the appliance's rounds; worst single round {r.Appliance.Max(a => a.Checkins.P99Ms):0.0} ms) | {duringP99:0.0} ms = {latencyRatio:0.00}× ({r.ApplianceCheckins.Count} check-ins) | ≤ {LatencyTarget:0.0}× | {Verdict(latencyRatio <= LatencyTarget)} |"));
        return text.ToString();
    }

    private static double Rate(IEnumerable<RoundMeasure> rounds)
    {
        var list = rounds.ToList();
        return list.Sum(x => x.Bytes) / 1048576.0 / list.Sum(x => x.Seconds);
    }

    private static double CpuPerGib(IEnumerable<RoundMeasure> rounds)
    {
        var list = rounds.ToList();
        return list.Sum(x => x.ServerCpuSeconds) * 1000 / (list.Sum(x => x.Bytes) / 1073741824.0);
    }

    private static string Round(int number, RoundMeasure m) =>
        Invariant($"| {number} | {m.Server} | {m.Bytes / 1048576.0:0} | {m.Seconds:0.00} | {m.MibPerSecond:0} | {m.Complete} | {(m.ResidentPeak == 0 ? "–" : $"{m.ResidentBefore / 1048576.0:0} → {m.ResidentPeak / 1048576.0:0} MiB")} | {(m.Checkins.Count == 0 ? "–" : $"{m.Checkins.P50Ms:0.0} / {m.Checkins.P99Ms:0.0} ms")} | {m.ServerCpuSeconds:0.00} | {m.CpuMsPerGib:0} | {m.MachineBusyCores:0.00} |");
}
