using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the catch-up scenario: the figures, the targets of issue 3, pass or fail per target.</summary>
internal static class CatchupReport
{
    public const double DrainTarget = 100;
    public const double BytesTarget = 0.2;
    public const double LatencyTarget = 1.5;

    public static string Render(CatchupResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var realRatio = r.DrainPerSecond / CatchupRun.SiteCheckinsPerSecond;
        var catchupSeconds = r.Drain.ReconnectSeconds + r.Drain.DrainSeconds;
        var dayRate = r.Backlog.Rows / 86_400.0;
        var bytesRatio = r.Drain.WireBytes / (double)r.Backlog.PlainJsonBytes;
        var idle = r.Idle.Latency;
        var during = r.Drain.Latency;
        var waiting = r.Drain.WaitingLatency;
        var idleAfter = r.IdleAfter.Latency;
        var latencyRatio = during.P99Ms / r.IdleP99Ms;
        var kinds = string.Join(", ", r.Backlog.Kinds.OrderByDescending(k => k.Value).Select(k => Invariant($"{k.Key} {k.Value}")));

        var text = Scenario("## Sync catch-up: a backlog built with the uplink down, drained to the hub", startedAt, "hub, appliance, proxy and load generator share them");
        text.AppendLine(Invariant($"- appliance push ceiling: {(r.SyncMaxRate is { } rate ? (rate == 0 ? "none (--sync-max-rate 0)" : $"{rate} changes/s (--sync-max-rate)") : "its default (Edge:SyncMaxChangesPerSecond)")}"))
            .AppendLine(Invariant($"- backlog: {r.Backlog.Rows} changes in the outbox ({kinds}), from {r.BacklogDevices} enrolled devices checking in twice each; build errors {r.BuildErrors}"))
            .AppendLine(Invariant($"- probe: {ProbeLoad.Devices} devices checking in every {ProbeLoad.Period.TotalMilliseconds:0} ms; check-ins measured idle {idle.Count} before and {idleAfter.Count} after, waiting for the reconnect {waiting.Count}, during the drain {during.Count}; errors {r.ProbeErrors}"))
            .AppendLine(Invariant($"- after the drain: {(r.Final.Converged ? "converged" : "NOT converged")}: site produced through {r.Final.Produced}, hub applied through {r.Final.Applied}, outbox {r.Final.Depth}; the probe added {r.Drain.ProducedDuringDrain} changes during the drain"))
            .AppendTargetsTable()
            .AppendLine(Invariant($"| backlog built by the bench (uplink down) | {r.Backlog.Rows} changes in {r.BuildSeconds:0.0} s = {r.BuildPerSecond:0} changes/s | | |"))
            .AppendLine(Invariant($"| accumulation at a real site | {CatchupRun.SiteDevices} devices × 1 check-in/min = {CatchupRun.SiteCheckinsPerSecond:0.0} changes/s | | |"))
            .AppendLine(Invariant($"| heal → first connection (the appliance's backoff) | {r.Drain.ReconnectSeconds:0.0} s | | |"))
            .AppendLine(Invariant($"| drain: first connection → hub holds sequence {r.BacklogThrough} | {r.Drain.DrainSeconds:0.00} s = {r.DrainPerSecond:0} changes/s | | |"))
            .AppendLine(Invariant($"| **drain / real-site accumulation** | {realRatio:0}× | ≥ {DrainTarget:0}× | {Verdict(realRatio >= DrainTarget)} |"))
            .AppendLine(Invariant($"| the same, counting the backoff wait ({catchupSeconds:0.0} s from the heal) | {r.Backlog.Rows / catchupSeconds / CatchupRun.SiteCheckinsPerSecond:0}× | ≥ {DrainTarget:0}× | {Verdict(r.Backlog.Rows / catchupSeconds / CatchupRun.SiteCheckinsPerSecond >= DrainTarget)} |"))
            .AppendLine(Invariant($"| drain / the backlog spread over a day ({dayRate:0.00} changes/s) | {r.DrainPerSecond / dayRate:0}× | | informational |"))
            .AppendLine(Invariant($"| drain / the bench's own (saturating) accumulation | {r.DrainPerSecond / r.BuildPerSecond:0.0}× | | informational |"))
            .AppendLine(Invariant($"| bytes on the wire during the drain (up + down) | {Mib(r.Drain.UpstreamBytes)} + {Mib(r.Drain.DownstreamBytes)} = {Mib(r.Drain.WireBytes)}, {r.Drain.Connections} connection(s) | | |"))
            .AppendLine(Invariant($"| the same changes as plain JSON | {Mib(r.Backlog.PlainJsonBytes)} (protobuf JSON mapping {Mib(r.Backlog.ProtoJsonBytes)}; protobuf uncompressed {Mib(r.Backlog.ProtobufBytes)}) | | |"))
            .AppendLine(Invariant($"| **wire / plain JSON** | {bytesRatio:0.000}× | ≤ {BytesTarget:0.0}× | {Verdict(bytesRatio <= BytesTarget)} |"))
            .AppendLine(Invariant($"| check-in p50 / p99, idle (uplink up, no backlog), before / after the catch-up | {idle.P50Ms:0.0} / {idle.P99Ms:0.0} ms; {idleAfter.P50Ms:0.0} / {idleAfter.P99Ms:0.0} ms | | |"))
            .AppendLine(Invariant($"| check-in p50 / p99, backlog queued, uplink up, before the reconnect | {waiting.P50Ms:0.0} / {waiting.P99Ms:0.0} ms | | control |"))
            .AppendLine(Invariant($"| check-in p50 / p99, during the drain | {during.P50Ms:0.0} / {during.P99Ms:0.0} ms | | |"))
            .AppendLine(Invariant($"| **p99 during the drain / idle** (the lower idle p99) | {latencyRatio:0.00}× | ≤ {LatencyTarget:0.0}× | {Verdict(latencyRatio <= LatencyTarget)} |"))
            .AppendLine()
            .AppendLine("| process | idle (before): CPU (cores) | idle (before): disk writes | drain: CPU (cores) | drain: disk writes | drain: disk writes per change |")
            .AppendLine("|---|--:|--:|--:|--:|--:|")
            .AppendLine(Row("hub", r.Idle.Hub, r.Drain.Hub, r.Backlog.Rows))
            .AppendLine(Row("appliance", r.Idle.Edge, r.Drain.Edge, r.Backlog.Rows))
            .AppendLine(Invariant($"| whole machine busy (cores; idle before / after) | {r.Idle.MachineCores:0.00} / {r.IdleAfter.MachineCores:0.00} of {Environment.ProcessorCount} | | {r.Drain.MachineCores:0.00} of {Environment.ProcessorCount} | | |"));
        return text.ToString();
    }

    private static string Row(string process, Usage idle, Usage drain, long changes) =>
        Invariant($"| {process} | {idle.Cores:0.00} | {Mib((long)idle.DiskBytesPerSecond)}/s | {drain.Cores:0.00} | {Mib((long)drain.DiskBytesPerSecond)}/s ({Mib(drain.DiskBytes)}) | {drain.DiskBytes / (double)changes / 1024:0.0} KiB |");

    private static string Mib(long bytes) => Invariant($"{bytes / (1024.0 * 1024.0):0.00} MiB");
}
