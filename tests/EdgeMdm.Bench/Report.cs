using System.Runtime.InteropServices;

using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The markdown the bench prints (and writes to <c>--out</c>).</summary>
internal static class Report
{
    private const double MiB = 1024 * 1024;

    public static string Render(BenchOptions options, IReadOnlyList<RunResult> rows, DateTimeOffset startedAt)
    {
        var text = new StringBuilder();
        text.AppendLine("## Check-in load: no-op Kestrel endpoint and the appliance")
            .AppendLine()
            .AppendLine(Invariant($"- machine: {Environment.ProcessorCount} CPUs ({CpuModel()}), {MemoryGiB():0.#} GiB RAM, {RuntimeInformation.OSDescription}"))
            .AppendLine(Invariant($"- runtime: {RuntimeInformation.FrameworkDescription}, {RuntimeInformation.OSArchitecture}"))
            .AppendLine(Invariant($"- date: {startedAt.UtcDateTime:yyyy-MM-dd HH:mm} UTC"))
            .AppendLine(Invariant($"- load: {options.Devices} devices, {options.EffectiveConcurrency} check-ins in flight, closed loop (no think time), warm-up {options.Warmup.TotalSeconds:0.#} s, measured {options.Duration.TotalSeconds:0.#} s"))
            .AppendLine()
            .AppendLine("| endpoint | devices | check-ins | check-ins/s | p50 ms | p99 ms | errors | server RSS peak / final MiB |")
            .AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in rows)
        {
            text.AppendLine(Invariant(
                $"| {r.Endpoint} | {r.Devices} | {r.Checkins} | {r.CheckinsPerSecond:0} | {r.P50Ms:0.0} | {r.P99Ms:0.0} | {r.Errors} | {r.PeakRssBytes / MiB:0} / {r.FinalRssBytes / MiB:0} |"));
        }

        // Where the CPU went during the window: the load generator runs on the same cores as the server.
        text.AppendLine()
            .AppendLine("| endpoint | server CPU (cores) | load generator CPU (cores) | whole machine busy (cores) | server CPU per check-in | of it on the database writer | server disk writes per check-in |")
            .AppendLine("|---|--:|--:|--:|--:|--:|--:|");
        foreach (var r in rows)
        {
            var perCheckin = r.CheckinsPerSecond > 0 ? r.ServerCores / r.CheckinsPerSecond * 1e6 : double.NaN;
            var writer = r.WriterCores > 0 && r.CheckinsPerSecond > 0 ? Invariant($"{r.WriterCores / r.CheckinsPerSecond * 1e6:0} µs") : "–";
            text.AppendLine(Invariant(
                $"| {r.Endpoint} | {r.ServerCores:0.00} | {r.LoadCores:0.00} | {r.MachineCores:0.00} of {Environment.ProcessorCount} | {perCheckin:0} µs | {writer} | {Bytes(r.DiskBytesPerCheckin)} |"));
        }

        if (rows.Count == 2 && rows[0].CheckinsPerSecond > 0)
            text.AppendLine().AppendLine(Invariant($"persisted / no-op = {rows[1].CheckinsPerSecond / rows[0].CheckinsPerSecond:0.00}×"));
        return text.ToString();
    }

    private static string Bytes(double bytes) =>
        bytes >= 1024 ? Invariant($"{bytes / 1024:0.0} KiB") : Invariant($"{bytes:0} B");

    private static string CpuModel()
    {
        try
        {
            var line = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal));
            if (line is not null && line.IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
                return line[(colon + 1)..].Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Not Linux: the architecture alone will do.
        }

        return RuntimeInformation.ProcessArchitecture.ToString();
    }

    private static double MemoryGiB() => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (MiB * 1024);
}
