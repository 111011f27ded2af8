using System.Collections.Concurrent;

namespace EdgeMdm.Bench;

/// <summary>
/// The overview scenario: a real appliance over pinned https with <see cref="BenchOptions.OverviewDevices"/> devices that
/// report a real floor's spread (<see cref="BenchFloor.Mixed"/>). First the check-in load with no page open; then the
/// supervisor's overview fetched one request at a time with the load stopped, both built anew (the reader's cache,
/// <c>OverviewReader.Freshness</c> = 1 s, gone stale) and served from that cache; then the check-in load again with
/// <see cref="BenchOptions.Pages"/> pages open, each following the live stream and fetching itself again on every
/// "changed" event as the page's script does; then the load once more with no page open, to see how far the machine
/// drifted between runs.
/// </summary>
internal static class OverviewRun
{
    /// <summary>The reader's cache lifetime (<c>OverviewReader.Freshness</c>) and a margin: a request this long after the last one finds it stale.</summary>
    public static readonly TimeSpan StaleAfter = TimeSpan.FromSeconds(1.1);

    /// <summary>Requests that build the overview anew, one every <see cref="StaleAfter"/>.</summary>
    public const int BuiltRequests = 30;

    /// <summary>Rounds of a build followed by <see cref="CachedPerRound"/> requests the cache answers.</summary>
    public const int CachedRounds = 20;

    public const int CachedPerRound = 10;

    /// <summary>How long the appliance's CPU is read with no request, before the built requests: its background work.</summary>
    public static readonly TimeSpan QuietSpell = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Check-ins in flight unless --concurrency says otherwise: 5,000 devices over 200 kept-alive connections, each
    /// worker driving 25 of them in turn. All 5,000 in flight at once over TLS starved the load generator (at nice 19,
    /// on a machine busy with other work) in its handshakes and measured the client, not the appliance.
    /// </summary>
    public const int DefaultConcurrency = 200;

    /// <summary>Three eight-hour shifts in UTC, so that the overview computes readiness for the next one as a site's does.</summary>
    public static readonly IReadOnlyDictionary<string, string> Shifts = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["EDGEMDM_Edge__Shifts__TimeZone"] = "UTC",
        ["EDGEMDM_Edge__Shifts__Shifts__0__Name"] = "early",
        ["EDGEMDM_Edge__Shifts__Shifts__0__Start"] = "06:00",
        ["EDGEMDM_Edge__Shifts__Shifts__0__End"] = "14:00",
        ["EDGEMDM_Edge__Shifts__Shifts__1__Name"] = "late",
        ["EDGEMDM_Edge__Shifts__Shifts__1__Start"] = "14:00",
        ["EDGEMDM_Edge__Shifts__Shifts__1__End"] = "22:00",
        ["EDGEMDM_Edge__Shifts__Shifts__2__Name"] = "night",
        ["EDGEMDM_Edge__Shifts__Shifts__2__Start"] = "22:00",
        ["EDGEMDM_Edge__Shifts__Shifts__2__End"] = "06:00",
    };

    private const string Token = "bench-overview-pickers-token";

    /// <summary>
    /// The site seed: the pickers' blueprint judges what the devices report (the scanner app's version, the OS and its
    /// security patch, battery health), so most of the floor is compliant and some is not, as on a site. It names no
    /// configuration or certificate: the bench's devices do not fetch their declarations to learn those hashes.
    /// </summary>
    public const string Seed = """
        # edgemdm-bench overview scenario: one group of pickers.
        site:
          id: bench-overview-01
          name: Bench overview site
        blueprints:
          - group: pickers
            apps:
              - packageName: com.edgemdm.sample.scanner
                versionCode: 100
                versionName: 1.0.0
            os:
              minVersion: "13"
              minSecurityPatch: 2025-06-01
            batteryHealthFloorPercent: 75
        tokens:
          - token: bench-overview-pickers-token
            group: pickers
            uses: 100000
            expires: 2030-01-01T00:00:00Z
        """;

    public static async Task<OverviewResult> RunAsync(string edgeDll, BenchOptions options, TextWriter log, CancellationToken cancellationToken) =>
        await BenchProcesses.InWorkDirectoryAsync("edgemdm-bench-overview-", log, async work =>
        {
            Directory.CreateDirectory(work);
            var seed = Path.Combine(work, "overview-seed.yaml");
            await File.WriteAllTextAsync(seed, Seed, cancellationToken);
            var token = Token;
            var dataDir = Path.Combine(work, "appliance");
            var url = ServerProcess.FreeLoopbackUrl("https");
            var load = options with { Devices = options.OverviewDevices, Concurrency = options.Concurrency ?? DefaultConcurrency };
            log.WriteLine($"edgemdm-bench: overview: appliance on {url}, data in {dataDir}; {load.Devices} devices, {load.EffectiveConcurrency} check-ins in flight, {options.Pages} pages");
            string[] args = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", BenchProcesses.Text(url)];
            await using var appliance = await BenchProcesses.StartAsync(
                "appliance", edgeDll, args, url, cancellationToken, () => ServerProcess.SitePin(dataDir), Shifts);

            var enrolled = await LoadRun.EnrollAsync("appliance (TLS)", appliance, token, load, BenchFloor.Mixed, log, cancellationToken);
            var again = enrolled with { Errors = 0 };
            var quiet = await LoadRun.RunAsync("no page open", appliance, enrolled, load, log, cancellationToken);
            var page = await PageAsync(appliance, dataDir, log, cancellationToken);
            var (withPages, live) = await WithPagesAsync(appliance, dataDir, again, load, log, cancellationToken);
            var quietAgain = await LoadRun.RunAsync("no page open, again", appliance, again, load, log, cancellationToken);
            return new OverviewResult(load, page, live, quiet, withPages, quietAgain);
        });

    /// <summary>The overview, one request at a time, the load stopped: the first after the start, built anew, and from the cache.</summary>
    private static async Task<PageFigures> PageAsync(ServerProcess appliance, string dataDir, TextWriter log, CancellationToken cancellationToken)
    {
        using var page = new SupervisorPage(appliance);
        await page.SignInAsync(dataDir, cancellationToken);
        log.WriteLine($"  overview: signed in; {BuiltRequests} requests {StaleAfter.TotalSeconds:0.0} s apart (built anew), then {CachedRounds} × {CachedPerRound} served from the cache");
        var first = await page.OverviewAsync(live: false, cancellationToken);

        // The appliance's own background work (writing out what the load left, sync, samples) goes on without requests:
        // its CPU over a quiet spell is taken off the loop's.
        var quietStart = appliance.Sample();
        await Task.Delay(QuietSpell, cancellationToken);
        var quietEnd = appliance.Sample();
        var idleCores = (quietEnd.Cpu - quietStart.Cpu).TotalSeconds / Seconds(quietEnd.Timestamp - quietStart.Timestamp);

        var built = new List<PageFetch>(BuiltRequests);
        var before = appliance.Sample();
        for (var i = 0; i < BuiltRequests; i++)
        {
            await Task.Delay(StaleAfter, cancellationToken);
            built.Add(await page.OverviewAsync(live: false, cancellationToken));
        }

        var after = appliance.Sample();
        var cpuPerBuilt = ((after.Cpu - before.Cpu).TotalSeconds - (idleCores * Seconds(after.Timestamp - before.Timestamp))) / BuiltRequests;

        var cached = new List<PageFetch>(CachedRounds * CachedPerRound);
        for (var round = 0; round < CachedRounds; round++)
        {
            await Task.Delay(StaleAfter, cancellationToken);
            var build = await page.OverviewAsync(live: false, cancellationToken);
            for (var i = 0; i < CachedPerRound; i++)
            {
                var fetch = await page.OverviewAsync(live: false, cancellationToken);
                // Only requests sent well inside the second the build started count as served from the cache.
                if (Stopwatch.GetElapsedTime(build.Started, fetch.Started) < TimeSpan.FromSeconds(0.8))
                    cached.Add(fetch);
            }
        }

        return new PageFigures(first, built, cached, cpuPerBuilt, idleCores);
    }

    private static double Seconds(long ticks) => ticks / (double)Stopwatch.Frequency;

    /// <summary>The check-in load with <see cref="BenchOptions.Pages"/> pages open and following the live stream.</summary>
    private static async Task<(RunResult Load, LiveFigures Live)> WithPagesAsync(
        ServerProcess appliance, string dataDir, EnrolledDevices devices, BenchOptions load, TextWriter log, CancellationToken cancellationToken)
    {
        var pages = new List<SupervisorPage>(load.Pages);
        try
        {
            for (var i = 0; i < load.Pages; i++)
            {
                var page = new SupervisorPage(appliance);
                pages.Add(page);
                await page.SignInAsync(dataDir, cancellationToken);
                await page.OverviewAsync(live: false, cancellationToken);
            }

            log.WriteLine($"  overview: {pages.Count} pages signed in and open, following /events");
            var fetches = new ConcurrentQueue<PageFetch>();
            long errors = 0;
            void Failed(Exception e)
            {
                if (Interlocked.Increment(ref errors) <= 5)
                    log.WriteLine($"  overview: a page failed: {e.GetType().Name}: {e.Message}");
            }

            using var close = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var following = pages.Select(p => Task.Run(() => p.FollowAsync(fetches.Enqueue, Failed, close.Token), CancellationToken.None)).ToArray();
            var windowStart = Stopwatch.GetTimestamp() + BenchProcesses.Ticks(load.Warmup);
            var result = await LoadRun.RunAsync($"{pages.Count} pages open", appliance, devices, load, log, cancellationToken);
            var windowEnd = Stopwatch.GetTimestamp();
            await close.CancelAsync();
            var stats = await Task.WhenAll(following);
            var inWindow = fetches.Where(f => f.Started >= windowStart && f.Started + f.Ticks <= windowEnd).ToList();
            return (result, new LiveFigures(
                pages.Count, stats.Count(s => s.Opened), stats.Sum(s => s.Changed), stats.Sum(s => s.Refetches), inWindow, Interlocked.Read(ref errors),
                (windowEnd - windowStart) / (double)Stopwatch.Frequency));
        }
        finally
        {
            foreach (var page in pages)
                page.Dispose();
        }
    }
}

/// <param name="First">The first request after the appliance started: the page's code still to be compiled.</param>
/// <param name="Built">Requests the cache was stale for: the overview built anew.</param>
/// <param name="Cached">Requests within the second after a build: served from the reader's cache.</param>
/// <param name="ServerCpuPerBuilt">Appliance CPU seconds over the built requests' loop above its quiet rate, per request.</param>
/// <param name="IdleCores">The appliance's CPU with no request, over <see cref="OverviewRun.QuietSpell"/> just before.</param>
internal sealed record PageFigures(PageFetch First, IReadOnlyList<PageFetch> Built, IReadOnlyList<PageFetch> Cached, double ServerCpuPerBuilt, double IdleCores);

/// <param name="Fetches">The pages' refetches that started and ended inside the measured window.</param>
/// <param name="WindowSeconds">The load run's warm-up end to its end, as the pages saw it.</param>
internal sealed record LiveFigures(int Pages, int Opened, int Changed, int Refetches, IReadOnlyList<PageFetch> Fetches, long Errors, double WindowSeconds);

internal sealed record OverviewResult(BenchOptions Options, PageFigures Page, LiveFigures Live, RunResult NoPages, RunResult WithPages, RunResult NoPagesAgain)
{
    public long Errors => NoPages.Errors + WithPages.Errors + NoPagesAgain.Errors + Live.Errors + (Live.Opened == Live.Pages ? 0 : Live.Pages - Live.Opened);
}
