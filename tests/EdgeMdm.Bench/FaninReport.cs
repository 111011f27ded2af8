using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown of the fan-in scenario: each step's figures, then the targets of issue 29 (item 4), pass or fail.</summary>
internal static class FaninReport
{
    public const double RoundP99TargetMs = 1000;
    public const double ReplicaGainTarget = 0.6;

    public static string Render(FaninResult r, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(r);
        var text = Scenario("## Hub fan-in: simulated sites syncing with the hub on PostgreSQL, then two replicas", startedAt,
            "the hub replica(s), PostgreSQL and the load generator (all the sites, one process at the least CPU weight) share them");
        text.AppendLine(Invariant($"- sites: each its own credential (POST /api/v1/sites), its own gRPC channel, HTTP/2 connection and source address (127.1.x.y) on loopback; {Transport(r)}; {FaninSite.Devices} devices each"))
            .AppendLine(Invariant($"- trickle: {r.RatePerSite:0.##} device changes/s per site (4 statuses to 1 lifecycle transition), pushed in a round every {FaninRun.RoundInterval.TotalSeconds:0} s (the appliance's default interval) from a random phase; {FaninRun.Warmup.TotalSeconds:0} s warm-up, {r.Window.TotalSeconds:0} s measured"))
            .AppendLine(Invariant($"- round: Hello, the feed pulled when it moved, every unacknowledged change pushed in batches of at most 200 on one stream, until the last acknowledgement; push: one batch sent → acknowledged"))
            .AppendLine(Invariant($"- storm (capacity): {r.Backlog} changes queued at each of {r.Sites} sites at once, all pushing (a region's WAN back); changes/s = applied until every site was acknowledged"))
            .AppendLine()
            .AppendLine("| sites | replicas | rounds | round p50 / p99 ms | push p50 / p99 ms | offered changes/s | applied changes/s | hub CPU (cores, per replica) | machine busy (cores) | errors | hub holds each change exactly once |")
            .AppendLine("|--:|--:|--:|--:|--:|--:|--:|--:|--:|---|---|");
        foreach (var step in r.Steps)
        {
            var t = step.Trickle;
            text.AppendLine(Invariant(
                $"| {step.Sites} | {step.Replicas} | {t.Rounds.Count} | {t.Rounds.P50Ms:0.0} / {t.Rounds.P99Ms:0.0} | {t.Pushes.P50Ms:0.0} / {t.Pushes.P99Ms:0.0} | {step.Sites * r.RatePerSite:0} | {t.AppliedPerSecond:0} | {Cores(t.HubCores)} | {t.MachineCores:0.00} of {Environment.ProcessorCount} | {Errors(step.TrickleErrors)} | {ExactlyOnce(step)} |"));
        }

        var storms = r.Steps.Where(s => s.Storm is not null).ToList();
        if (storms.Count > 0)
        {
            text.AppendLine()
                .AppendLine("| storm | changes applied | seconds | changes/s | hub CPU (cores, per replica) | machine busy (cores) | errors |")
                .AppendLine("|---|--:|--:|--:|--:|--:|---|");
            foreach (var step in storms)
            {
                var s = step.Storm!;
                text.AppendLine(Invariant($"| {step.Sites} sites, {step.Replicas} replica(s) | {s.Applied} | {s.Seconds:0.0} | {s.PerSecond:0} | {Cores(s.HubCores)} | {s.MachineCores:0.00} of {Environment.ProcessorCount} | {Errors(step.StormErrors)} |"));
            }
        }

        return AppendTargets(text, r).ToString();
    }

    private static StringBuilder AppendTargets(StringBuilder text, FaninResult r)
    {
        text.AppendTargetsTable();
        if (r.Steps.FirstOrDefault(s => s.Sites == r.Sites && s.Replicas == 1) is { } one)
        {
            var p99 = one.Trickle.Rounds.P99Ms;
            text.AppendLine(Invariant($"| **sync round p99, {r.Sites} sites, one hub** | {p99:0} ms | ≤ {RoundP99TargetMs:0} ms | {Verdict(p99 <= RoundP99TargetMs)} |"));
            if (r.Steps.FirstOrDefault(s => s.Replicas == 1) is { } smallest && smallest != one)
            {
                text.AppendLine(Invariant($"| round p99 growth, {smallest.Sites} → {r.Sites} sites | {smallest.Trickle.Rounds.P99Ms:0} → {p99:0} ms ({p99 / smallest.Trickle.Rounds.P99Ms:0.0}×) for {r.Sites / (double)smallest.Sites:0}× the sites | | informational |"));
                text.AppendLine(Invariant($"| applied changes/s growth, {smallest.Sites} → {r.Sites} sites | {smallest.Trickle.AppliedPerSecond:0} → {one.Trickle.AppliedPerSecond:0} changes/s (offered {smallest.Sites * r.RatePerSite:0} → {r.Sites * r.RatePerSite:0}) | | informational |"));
            }

            if (r.Steps.FirstOrDefault(s => s.Replicas == 2) is { Storm: { } two } && one.Storm is { } first)
            {
                var gain = (two.PerSecond - first.PerSecond) / first.PerSecond;
                text.AppendLine(Invariant($"| **second replica's gain (storm changes/s: one hub {first.PerSecond:0}, two {two.PerSecond:0}) / one hub's** | {gain:0.00}× | ≥ {ReplicaGainTarget:0.0}× | {Verdict(gain >= ReplicaGainTarget)} |"));
                text.AppendLine()
                    .AppendLine(Invariant($"On this machine ({Environment.ProcessorCount} CPUs) both replicas, PostgreSQL and the load generator share the same cores: a second replica can only add what cores the first one left idle, so the setup, not the product, sets the replica figure here. It means something only where each replica (and the database) has cores of its own."));
            }
        }

        return text.AppendLine().AppendLine(Invariant($"Exactly once: after each step the bench compares the hub's PostgreSQL with what every site produced: each site's applied_through against the last sequence it numbered, a transitions row per transition sent, and each device's last check-in against the newest status sent."));
    }

    private static string Transport(FaninResult r) => r.Tls
        ? "over TLS (the hub's certificate pinned; --fanin-transport tls, how a site reaches a hub over a network that is not private)"
        : "cleartext HTTP/2 (--fanin-transport h2c: a private network, or TLS ended by a proxy in front of the hub)";

    private static string Cores(IReadOnlyList<double> cores) => string.Join(" + ", cores.Select(c => Invariant($"{c:0.00}")));

    private static string Errors(IReadOnlyDictionary<string, long> errors) =>
        errors.Count == 0 ? "0" : string.Join(", ", errors.OrderByDescending(e => e.Value).Select(e => Invariant($"{e.Value} {e.Key}")));

    private static string ExactlyOnce(FaninStep step) =>
        step.Differences == 0 ? Invariant($"yes ({step.Held} changes)") : Invariant($"**NO**: {step.Differences} differences ({step.Held} changes held)");
}
