using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Grpc.Core;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The hub fan-in scenario (issue 29, item 4): the hub (<c>edgemdm-cloud serve</c>) on PostgreSQL, gRPC sync in
/// cleartext HTTP/2 on loopback (what <c>--grpc-url http://...</c> serves; TLS is the reverse proxy's in front of a hub),
/// and N simulated sites (<see cref="FaninSite"/>), each registered through the hub's admin API with a credential of its
/// own, each sending a steady trickle of device changes in rounds of the appliance's cadence. It measures sync rounds
/// (p50/p99 of Hello to the last acknowledgement) and changes applied per second at 100, 300 and N sites; then a
/// catch-up storm (every site pushing a backlog at once) for the hub's capacity, with one hub and with two replicas on
/// the same database, the sites spread over both. After each step the database must hold every site's changes exactly
/// once. Every phase is bounded by time.
/// </summary>
internal sealed class FaninRun(BenchOptions options, TextWriter log)
{
    /// <summary>The appliance's default <c>Edge:SyncIntervalSeconds</c>: a site starts a round every 5 s.</summary>
    public static readonly TimeSpan RoundInterval = TimeSpan.FromSeconds(5);

    /// <summary>Before the window: every site through at least two rounds, connections open, the hub's JIT warm.</summary>
    public static readonly TimeSpan Warmup = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan SetUpLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan StormLimit = TimeSpan.FromMinutes(3);
    /// <summary>After the trickle, and after a storm that ran out of time: long enough to deliver what is left on a loaded machine.</summary>
    private static readonly TimeSpan FlushLimit = TimeSpan.FromMinutes(2);

    /// <summary>Calls the bench makes at once while it registers sites and flushes them: setup, not the measured load.</summary>
    private const int SetUpConcurrency = 32;

    /// <summary>
    /// <c>max_connections</c> of the server <c>tests/scripts/postgres.sh</c> starts, less what the bench's own reads
    /// (<see cref="FaninLedger"/>), the admin CLI and the superuser's reserve take: what the replicas' pools may hold
    /// together. Two replicas at Npgsql's default pool (100 each) would ask for all 200, and the last connections opened
    /// would be refused (53300 too_many_connections): a figure set by the setup, not the hub.
    /// </summary>
    private const int ConnectionsForReplicas = 200 - 10;

    /// <summary>Npgsql's default pool size, kept while the replicas' share of the server allows it.</summary>
    private const int DefaultPoolSize = 100;

    private readonly FaninErrors _errors = new(log);

    /// <summary>The hub's certificate (PEM files) and its pin when the sites dial it over TLS; null for cleartext HTTP/2.</summary>
    private HubTls? _tls;

    public static Task<FaninResult> RunAsync(string cloudDll, BenchOptions options, TextWriter log, CancellationToken cancellationToken) =>
        InWorkDirectoryAsync("edgemdm-bench-fanin-", log, async work =>
        {
            var run = new FaninRun(options, log);
            if (options.FaninTls)
            {
                var (certificate, key, pin) = NoopServer.WriteCertificate(work);
                // The hub refuses to start with a key other accounts could read (HubSecretFiles).
                if (!OperatingSystem.IsWindows())
                    File.SetUnixFileMode(key, UnixFileMode.UserRead | UnixFileMode.UserWrite);
                run._tls = new HubTls(["--tls-cert", certificate, "--tls-key", key], pin);
            }

            return await run.RunAsync(cloudDll, cancellationToken);
        });

    private async Task<FaninResult> RunAsync(string cloudDll, CancellationToken cancellationToken)
    {
        log.WriteLine("edgemdm-bench: fan-in: starting PostgreSQL (tests/scripts/postgres.sh)");
        await using var postgres = await BenchPostgres.StartAsync(log, cancellationToken);
        var steps = new List<FaninStep>();
        foreach (var sites in Sizes(options.FaninSites))
            steps.Add(await StepAsync(cloudDll, postgres, sites, replicas: 1, storm: sites == options.FaninSites, cancellationToken));
        steps.Add(await StepAsync(cloudDll, postgres, options.FaninSites, replicas: 2, storm: true, cancellationToken));
        return new FaninResult(options.FaninSites, options.FaninRate, options.FaninBacklog, options.FaninWindow, steps) { Tls = _tls is not null };
    }

    /// <summary>The database as each of <paramref name="replicas"/> replicas opens it: a pool within its share of the server's connections.</summary>
    private static string ReplicaDatabase(string database, int replicas) =>
        database + Invariant($";Maximum Pool Size={Math.Min(DefaultPoolSize, ConnectionsForReplicas / replicas)}");

    /// <summary>100 and 300 sites (those below N), then N.</summary>
    public static IEnumerable<int> Sizes(int sites) => SmallerSizes.Where(n => n < sites).Append(sites);

    private static readonly int[] SmallerSizes = [100, 300];

    private async Task<FaninStep> StepAsync(string cloudDll, BenchPostgres postgres, int siteCount, int replicas, bool storm, CancellationToken cancellationToken)
    {
        var database = await postgres.CreateDatabaseAsync(Invariant($"fanin_{siteCount}_{replicas}"), cancellationToken);
        log.WriteLine(Invariant($"edgemdm-bench: fan-in: {siteCount} sites, {replicas} hub replica(s) on PostgreSQL port {postgres.Port}"));
        var hubs = new List<BenchHub>();
        var sites = new List<FaninSite>();
        try
        {
            for (var r = 0; r < replicas; r++)
            {
                // The admin API stays on loopback http (the operator's); the sync endpoint is what the sites reach.
                var grpcUrl = ServerProcess.FreeLoopbackUrl(_tls is null ? "http" : "https");
                hubs.Add(await BenchHub.StartAsync(cloudDll, ReplicaDatabase(database, replicas), ServerProcess.FreeLoopbackUrl(), grpcUrl, RequestTimeout, cancellationToken, _tls?.ServeArgs));
            }

            sites.AddRange(await RegisterAsync(hubs, siteCount, cancellationToken));
            _errors.Reset();
            await EveryAsync(sites, s => s.Enroll(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()), cancellationToken);
            var trickle = await TrickleAsync(hubs, sites, database, cancellationToken);
            var trickleErrors = _errors.Reset();
            var capacity = storm ? await StormAsync(hubs, sites, database, cancellationToken) : null;
            if (storm)
                await FlushAsync(sites, cancellationToken);
            var stormErrors = _errors.Reset();
            if (trickleErrors.Count + stormErrors.Count > 0)
                LogHubComplaints(hubs);
            var differences = await FaninLedger.DifferencesAsync(database, sites, cancellationToken);
            foreach (var difference in differences.Take(5))
                log.WriteLine("  fan-in: NOT exactly once: " + difference);
            var held = await FaninLedger.AppliedAsync(database, cancellationToken);
            log.WriteLine(Invariant($"  fan-in: the hub holds {held} changes of {sites.Sum(s => (long)s.ProducedThrough)} produced; {differences.Count} differences"));
            return new FaninStep(siteCount, replicas, trickle, capacity, trickleErrors, stormErrors, held, differences.Count);
        }
        finally
        {
            foreach (var site in sites)
                site.Dispose();
            foreach (var hub in hubs)
                await hub.DisposeAsync();
        }
    }

    /// <summary>After sync errors: what each replica logged above Information lately (the process keeps its last 200 lines).</summary>
    private void LogHubComplaints(List<BenchHub> hubs)
    {
        for (var i = 0; i < hubs.Count; i++)
        {
            var lines = hubs[i].Process.Output.Split('\n');
            var complaints = lines.Select((line, n) => (line, n))
                .Where(l => l.line.StartsWith("warn:", StringComparison.Ordinal) || l.line.StartsWith("fail:", StringComparison.Ordinal) || l.line.StartsWith("crit:", StringComparison.Ordinal))
                .TakeLast(5)
                .Select(l => l.line.Trim() + " " + (l.n + 1 < lines.Length ? lines[l.n + 1].Trim() : ""));
            foreach (var complaint in complaints)
                log.WriteLine(Invariant($"  fan-in: replica {i + 1} logged: {complaint}"));
        }
    }

    /// <summary>Registers the sites through the first replica's admin API, as an operator would; site i dials replica i mod R.</summary>
    private async Task<List<FaninSite>> RegisterAsync(List<BenchHub> hubs, int count, CancellationToken cancellationToken)
    {
        var sites = new FaninSite[count];
        using var limit = new CancellationTokenSource(SetUpLimit);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken);
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = SetUpConcurrency, CancellationToken = stop.Token }, async (i, ct) =>
        {
            var site = await PostAsync(hubs[0].Rest, "/api/v1/sites", new JsonObject { ["name"] = Invariant($"Fan-in DC {i:D5}") }, ct);
            sites[i] = new FaninSite(i, site["siteId"]!.GetValue<string>(), site["credential"]!.GetValue<string>(), hubs[i % hubs.Count].GrpcUrl, _tls?.Pin);
        });
        log.WriteLine(Invariant($"  fan-in: {count} sites registered (POST /api/v1/sites), each dialling from its own address (127.1.x.y)"));
        return [.. sites];
    }

    /// <summary>
    /// Every site runs rounds every <see cref="RoundInterval"/> (each from a random phase, as sites are not in step) with
    /// the changes made since its last round, for the warm-up and the window; rounds that end in the window are measured.
    /// </summary>
    private async Task<TrickleMeasure> TrickleAsync(List<BenchHub> hubs, List<FaninSite> sites, string database, CancellationToken cancellationToken)
    {
        log.WriteLine(Invariant($"  fan-in: trickle of {options.FaninRate} changes/s per site, a round every {RoundInterval.TotalSeconds:0} s; {Warmup.TotalSeconds:0} s warm-up, {options.FaninWindow.TotalSeconds:0} s measured"));
        var rounds = new ConcurrentQueue<ProbeLoad.Sample>();
        var pushes = new ConcurrentQueue<ProbeLoad.Sample>();
        var started = Stopwatch.GetTimestamp();
        var from = started + Ticks(Warmup);
        var to = from + Ticks(options.FaninWindow);
        using var stopLoops = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = Task.WhenAll(sites.Select(site => SiteLoopAsync(site, started, to, rounds, pushes, stopLoops.Token)));
        try
        {
            await Task.Delay(Warmup, cancellationToken);
            var appliedFrom = await FaninLedger.AppliedAsync(database, cancellationToken);
            var hubsFrom = hubs.Select(h => h.Process.Sample()).ToList();
            var machineFrom = MachineCpu.Read();
            await Task.Delay(options.FaninWindow, cancellationToken);
            var appliedTo = await FaninLedger.AppliedAsync(database, cancellationToken);
            var hubCores = hubs.Select((h, i) => Usage.Between(hubsFrom[i], h.Process.Sample()).Cores).ToList();
            var machineCores = MachineCpu.BusyCores(machineFrom, MachineCpu.Read());
            await running;
            await FlushAsync(sites, cancellationToken);
            return new TrickleMeasure(
                ProbeLoad.Percentiles(rounds, from, to), ProbeLoad.Percentiles(pushes, from, to),
                (appliedTo - appliedFrom) / options.FaninWindow.TotalSeconds, hubCores, machineCores);
        }
        catch when (!running.IsCompleted)
        {
            // The sites stop before their channels are disposed (the caller's finally): no call is cut under them.
            await stopLoops.CancelAsync();
            await Task.WhenAny(running, Task.Delay(TimeSpan.FromSeconds(30), CancellationToken.None));
            throw;
        }
    }

    private async Task SiteLoopAsync(
        FaninSite site, long started, long until, ConcurrentQueue<ProbeLoad.Sample> rounds, ConcurrentQueue<ProbeLoad.Sample> pushes, CancellationToken cancellationToken)
    {
        var random = new Random(site.Index);
        var next = started + (long)(random.NextDouble() * Ticks(RoundInterval));
        var generatedAt = started;
        var owed = 0.0;
        while (next < until)
        {
            var wait = next - Stopwatch.GetTimestamp();
            if (wait > 0)
                await Task.Delay(TimeSpan.FromSeconds(wait / (double)Stopwatch.Frequency), cancellationToken);
            var now = Stopwatch.GetTimestamp();
            owed += options.FaninRate * ((now - generatedAt) / (double)Stopwatch.Frequency);
            generatedAt = now;
            site.Generate((int)owed, DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            owed -= (int)owed;
            // Samples are keyed by when the round (the batch) started, so that a slow one at the window's end still counts.
            if (await TryRoundAsync(site, (sentAt, took) => pushes.Enqueue(new ProbeLoad.Sample(sentAt, took)), cancellationToken))
                rounds.Enqueue(new ProbeLoad.Sample(now, Stopwatch.GetTimestamp() - now));
            next += Ticks(RoundInterval);
        }
    }

    /// <summary>
    /// The catch-up storm: every site gets <see cref="BenchOptions.FaninBacklog"/> changes at once (a region's WAN came
    /// back) and pushes them in one round; the hub's capacity is what it applied over the time until all were acknowledged.
    /// </summary>
    private async Task<StormMeasure> StormAsync(List<BenchHub> hubs, List<FaninSite> sites, string database, CancellationToken cancellationToken)
    {
        log.WriteLine(Invariant($"  fan-in: catch-up storm, {options.FaninBacklog} changes queued at each of {sites.Count} sites, all pushing at once"));
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        foreach (var site in sites)
            site.Generate(options.FaninBacklog, now);
        var appliedFrom = await FaninLedger.AppliedAsync(database, cancellationToken);
        var hubsFrom = hubs.Select(h => h.Process.Sample()).ToList();
        var machineFrom = MachineCpu.Read();
        var started = Stopwatch.GetTimestamp();
        using var limit = new CancellationTokenSource(StormLimit);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken);
        await Task.WhenAll(sites.Select(async site =>
        {
            // A failed round is counted and tried again at once: the figure is the time until the hub holds everything.
            while (site.AcknowledgedThrough < site.ProducedThrough && !stop.IsCancellationRequested)
                await RoundOrPauseAsync(site, stop.Token);
        }));
        cancellationToken.ThrowIfCancellationRequested();
        var seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        var applied = await FaninLedger.AppliedAsync(database, cancellationToken) - appliedFrom;
        var hubCores = hubs.Select((h, i) => Usage.Between(hubsFrom[i], h.Process.Sample()).Cores).ToList();
        var machineCores = MachineCpu.BusyCores(machineFrom, MachineCpu.Read());
        if (limit.IsCancellationRequested)
            _errors.Count("storm not drained within " + StormLimit.TotalMinutes.ToString("0", CultureInfo.InvariantCulture) + " min");
        log.WriteLine(Invariant($"  fan-in: storm: {applied} changes applied in {seconds:0.0} s = {applied / seconds:0} changes/s"));
        return new StormMeasure(applied, seconds, hubCores, machineCores);
    }

    /// <summary>A round; a failure is counted (by gRPC status) and false, the next round resumes from Hello.</summary>
    private async Task<bool> TryRoundAsync(FaninSite site, Action<long, long>? batchAnswered, CancellationToken cancellationToken)
    {
        try
        {
            await site.RoundAsync(batchAnswered, cancellationToken);
            return true;
        }
        catch (Exception e) when (cancellationToken.IsCancellationRequested && e is OperationCanceledException or RpcException { StatusCode: StatusCode.Cancelled })
        {
            // Stopped by the phase's limit (counted there) or an interrupt (the caller's loop ends and rethrows).
            return false;
        }
        catch (RpcException e)
        {
            // The detail alone is empty for a stream the hub (or the connection) reset: the client's own exception says which.
            _errors.Count(e.StatusCode.ToString(), $"site {site.Index}: {e.Status.Detail} {e.Status.DebugException?.Message}");
            return false;
        }
        catch (Exception e) when (e is HttpRequestException or IOException)
        {
            _errors.Count(e.GetType().Name, $"site {site.Index}: {e.Message}");
            return false;
        }
    }

    /// <summary>A round to push what is left; after a failed one, a second's pause (as the appliance's backoff starts) before the next.</summary>
    private async Task RoundOrPauseAsync(FaninSite site, CancellationToken cancellationToken)
    {
        if (await TryRoundAsync(site, batchAnswered: null, cancellationToken))
            return;
        try
        {
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The phase's limit: the caller's loop ends.
        }
    }

    /// <summary>After the trickle and the storm: rounds until every site's changes are acknowledged (bounded), before the exactly-once check.</summary>
    private async Task FlushAsync(List<FaninSite> sites, CancellationToken cancellationToken)
    {
        using var limit = new CancellationTokenSource(FlushLimit);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(limit.Token, cancellationToken);
        await EveryAsync(sites, async (site, ct) =>
        {
            while (site.AcknowledgedThrough < site.ProducedThrough && !ct.IsCancellationRequested)
                await RoundOrPauseAsync(site, ct);
        }, stop.Token);
        cancellationToken.ThrowIfCancellationRequested();
    }

    private static Task EveryAsync(List<FaninSite> sites, Action<FaninSite> action, CancellationToken cancellationToken) =>
        EveryAsync(sites, (site, _) => { action(site); return Task.CompletedTask; }, cancellationToken);

    private static async Task EveryAsync(List<FaninSite> sites, Func<FaninSite, CancellationToken, Task> action, CancellationToken cancellationToken)
    {
        try
        {
            await Parallel.ForEachAsync(sites, new ParallelOptions { MaxDegreeOfParallelism = SetUpConcurrency, CancellationToken = cancellationToken },
                async (site, ct) => await action(site, ct));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Bounded: what is left unacknowledged shows in the exactly-once check.
        }
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}

/// <summary>What a hub serving its sync over TLS is started with, and the pin its sites accept.</summary>
internal sealed record HubTls(IReadOnlyList<string> ServeArgs, string Pin);
