using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The TLS scenario's markdown: handshakes, then check-ins over TLS, each the appliance beside the no-op endpoint.</summary>
internal static class TlsReport
{
    private const double MiB = 1024 * 1024;

    /// <summary>The appliance's check-ins over TLS against the no-op endpoint's over TLS: the same target as plain HTTP.</summary>
    public const double CheckinRatioTarget = 0.5;

    public static string Render(TlsResult result, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        var options = result.Options;
        var text = Scenario("## TLS: full handshakes and check-ins over TLS, no-op endpoint and the appliance", startedAt,
                "server and load generator share them")
            .AppendLine(Invariant($"- certificates: ECDSA P-256 on both (the appliance's site certificate; a generated one for the no-op endpoint); the client pins the key, as a device does"))
            .AppendLine(Invariant($"- handshakes: {options.HandshakeClients} connections at once, each a full TLS handshake (no resumption offered) then closed; warm-up {options.Warmup.TotalSeconds:0.#} s, measured {options.Duration.TotalSeconds:0.#} s"))
            .AppendLine(Invariant($"- check-ins: {options.Devices} devices, {options.EffectiveConcurrency} in flight, closed loop over pinned https (connections kept alive); warm-up {options.Warmup.TotalSeconds:0.#} s, measured {options.Duration.TotalSeconds:0.#} s"))
            .AppendLine()
            .AppendLine("| endpoint | handshakes | handshakes/s | p50 ms | p99 ms | errors | server CPU (cores) | machine busy (cores) |")
            .AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var (name, row) in Rows(result))
        {
            var h = row.Handshakes;
            text.AppendLine(Invariant($"| {name} | {h.Handshakes} | {h.PerSecond:0} | {h.P50Ms:0.0} | {h.P99Ms:0.0} | {h.Errors} | {h.ServerCores:0.00} | {h.MachineCores:0.00} of {Environment.ProcessorCount} |"));
        }

        text.AppendLine()
            .AppendLine("| endpoint | devices | check-ins | check-ins/s | p50 ms | p99 ms | errors | server CPU (cores) | load generator CPU (cores) | server RSS peak / final MiB |")
            .AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var (name, row) in Rows(result))
        {
            var r = row.Checkins;
            text.AppendLine(Invariant(
                $"| {name} | {r.Devices} | {r.Checkins} | {r.CheckinsPerSecond:0} | {r.P50Ms:0.0} | {r.P99Ms:0.0} | {r.Errors} | {r.ServerCores:0.00} | {r.LoadCores:0.00} | {r.PeakRssBytes / MiB:0} / {r.FinalRssBytes / MiB:0} |"));
        }

        var handshakeRatio = Ratio(result.Appliance.Handshakes.PerSecond, result.Noop.Handshakes.PerSecond);
        var checkinRatio = Ratio(result.Appliance.Checkins.CheckinsPerSecond, result.Noop.Checkins.CheckinsPerSecond);
        text.AppendTargetsTable()
            .AppendLine(Invariant($"| handshakes/s, appliance / no-op | {handshakeRatio:0.00}× | – | (for reading) |"))
            .AppendLine(Invariant($"| check-ins/s over TLS, appliance / no-op | {checkinRatio:0.00}× | ≥ {CheckinRatioTarget:0.0}× | {Verdict(checkinRatio >= CheckinRatioTarget)} |"))
            .AppendLine(Invariant($"| errors | {result.Errors} | 0 | {Verdict(result.Errors == 0)} |"));
        return text.ToString();
    }

    private static IEnumerable<(string Name, TlsRow Row)> Rows(TlsResult result) =>
        [("no-op endpoint (TLS)", result.Noop), ("appliance (TLS)", result.Appliance)];

    private static double Ratio(double a, double b) => b > 0 ? a / b : double.NaN;
}
