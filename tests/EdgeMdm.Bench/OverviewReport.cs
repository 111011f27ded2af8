using static EdgeMdm.Bench.ReportMarkdown;

namespace EdgeMdm.Bench;

/// <summary>The overview scenario's markdown: the page's time and size, then check-ins with and without open pages.</summary>
internal static class OverviewReport
{
    private const double MiB = 1024 * 1024;

    /// <summary>Issue 26: the first page under 100 KB.</summary>
    public const int PageBytesTarget = 100 * 1000;

    /// <summary>Issue 26: check-in p99 with the pages open within 1.2× of none open.</summary>
    public const double P99RatioTarget = 1.2;

    public static string Render(OverviewResult result, DateTimeOffset startedAt)
    {
        ArgumentNullException.ThrowIfNull(result);
        var options = result.Options;
        var page = result.Page;
        var live = result.Live;
        var text = Scenario("## Supervisor overview: the page with 5,000 devices, and open pages during check-ins", startedAt,
                "appliance and load generator share them")
            .AppendLine(Invariant($"- appliance over https (site certificate, P-256), the devices and the pages pin its key; {options.Devices} devices of one group (pickers), each with a real floor's spread: 3 versions of the scanner app (10 % behind the blueprint's), 3 of the launcher, 2 of Chrome, 5 % on an old security patch, 6 % with worn batteries, charge 3–100 %; three 8-hour shifts, so the page shows readiness for the next"))
            .AppendLine(Invariant($"- the page: signed in as the break-glass administrator, GET / one request at a time over one kept-alive connection with the load stopped; time from sending to the last byte, on the client (loopback): the server's time plus TLS and HTTP on both ends"))
            .AppendLine(Invariant($"- check-ins: {options.Devices} devices, {options.EffectiveConcurrency} in flight, closed loop over pinned https (each connection drives its devices in turn); warm-up {options.Warmup.TotalSeconds:0.#} s, measured {options.Duration.TotalSeconds:0.#} s; run with no page open, with {live.Pages} open, and with none again"))
            .AppendLine()
            .AppendLine("| GET / (the overview) | requests | p50 ms | p99 ms | max ms | bytes |")
            .AppendLine("|---|--:|--:|--:|--:|--:|");
        AppendFetches(text, "first after the start (its code compiled on the way)", [page.First]);
        AppendFetches(text, Invariant($"built anew (cache stale: {OverviewRun.StaleAfter.TotalSeconds:0.0} s apart)"), page.Built);
        AppendFetches(text, "from the 1 s cache (just after a build)", page.Cached);
        AppendFetches(text, Invariant($"the {live.Pages} open pages' refetches during check-ins"), live.Fetches);
        text.AppendLine()
            .AppendLine(Invariant($"- what the page showed (last built): {(page.Built.Count > 0 ? page.Built[^1].Tiles : page.First.Tiles)}"))
            .AppendLine(Invariant($"- appliance CPU per page built anew: {page.ServerCpuPerBuilt * 1000:0.0} ms (its CPU over the loop of {OverviewRun.BuiltRequests} requests, less its quiet rate of {page.IdleCores:0.00} cores measured over {OverviewRun.QuietSpell.TotalSeconds:0} s just before, per request)"))
            .AppendLine(Invariant($"- open pages: {live.Opened} of {live.Pages} streams opened; {live.Changed} \"changed\" events, {live.Refetches} refetches ({live.Fetches.Count} inside the {live.WindowSeconds:0.#} s window, {live.Fetches.Count / Math.Max(live.WindowSeconds, 1e-9):0.0}/s); {live.Errors} errors"))
            .AppendLine()
            .AppendLine("| check-ins | check-ins | check-ins/s | p50 ms | p99 ms | errors | server CPU (cores) | load generator CPU (cores) | machine busy (cores) | server RSS peak / final MiB |")
            .AppendLine("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|");
        foreach (var r in new[] { result.NoPages, result.WithPages, result.NoPagesAgain })
        {
            text.AppendLine(Invariant(
                $"| {r.Endpoint} | {r.Checkins} | {r.CheckinsPerSecond:0} | {r.P50Ms:0.0} | {r.P99Ms:0.0} | {r.Errors} | {r.ServerCores:0.00} | {r.LoadCores:0.00} | {r.MachineCores:0.00} of {Environment.ProcessorCount} | {r.PeakRssBytes / MiB:0} / {r.FinalRssBytes / MiB:0} |"));
        }

        var largest = page.Built.Concat(page.Cached).Append(page.First).Max(f => f.Bytes);
        var ratioFirst = Ratio(result.WithPages.P99Ms, result.NoPages.P99Ms);
        var ratioAgain = Ratio(result.WithPages.P99Ms, result.NoPagesAgain.P99Ms);
        var ratio = Ratio(result.WithPages.P99Ms, (result.NoPages.P99Ms + result.NoPagesAgain.P99Ms) / 2);
        text.AppendTargetsTable()
            .AppendLine(Invariant($"| overview p99, built anew | {NearestRank.Ms(Sorted(page.Built), 0.99):0.0} ms | – | (for reading) |"))
            .AppendLine(Invariant($"| overview page size (largest) | {largest / 1000.0:0.0} KB | ≤ {PageBytesTarget / 1000} KB | {Verdict(largest <= PageBytesTarget)} |"))
            .AppendLine(Invariant($"| check-in p99, {live.Pages} pages open / none open (before {ratioFirst:0.00}×, after {ratioAgain:0.00}×) | {ratio:0.00}× | ≤ {P99RatioTarget:0.0}× | {Verdict(ratio <= P99RatioTarget)} |"))
            .AppendLine(Invariant($"| check-ins/s, {live.Pages} pages open / none open | {Ratio(result.WithPages.CheckinsPerSecond, (result.NoPages.CheckinsPerSecond + result.NoPagesAgain.CheckinsPerSecond) / 2):0.00}× | – | (for reading) |"))
            .AppendLine(Invariant($"| errors | {result.Errors} | 0 | {Verdict(result.Errors == 0)} |"));
        return text.ToString();
    }

    private static void AppendFetches(StringBuilder text, string name, IReadOnlyList<PageFetch> fetches)
    {
        if (fetches.Count == 0)
        {
            text.AppendLine(Invariant($"| {name} | 0 | – | – | – | – |"));
            return;
        }

        var sorted = Sorted(fetches);
        var bytes = fetches.Select(f => f.Bytes).Order().ToList();
        var size = bytes[0] == bytes[^1] ? Invariant($"{bytes[0]}") : Invariant($"{bytes[0]}–{bytes[^1]}");
        text.AppendLine(Invariant(
            $"| {name} | {fetches.Count} | {NearestRank.Ms(sorted, 0.50):0.0} | {NearestRank.Ms(sorted, 0.99):0.0} | {sorted[^1] * 1000.0 / Stopwatch.Frequency:0.0} | {size} |"));
    }

    private static long[] Sorted(IReadOnlyList<PageFetch> fetches)
    {
        var ticks = fetches.Select(f => f.Ticks).ToArray();
        Array.Sort(ticks);
        return ticks;
    }

    private static double Ratio(double a, double b) => b > 0 ? a / b : double.NaN;
}
