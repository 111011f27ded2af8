using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The line-rate download scenario (issue 29): the devices download the package from the appliance over its site TLS
/// through a link shaped to a site NIC's rate (<see cref="ShapedLink"/>, 1 Gbit/s by default), while the probe's devices
/// check in. Devices are other machines: the download clients run in the link's network namespace, in a process of
/// their own, at the load generator's weight. The probe checks in over loopback, not over the link: the target is what
/// serving at line rate does to the appliance's check-ins, and over the link each check-in would also wait in the
/// shaper's queue behind the download bytes (up to tbf's 10 ms), a property of the shaped link, not of the appliance.
/// Idle windows alternate with measured rounds.
/// </summary>
internal sealed class LineRateRun(BenchOptions options, TextWriter log)
{
    private const int Rounds = 3;

    public static Task<LineRateResult> RunAsync(string cloudDll, string edgeDll, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
        => InWorkDirectoryAsync("edgemdm-bench-linerate-", log, work => new LineRateRun(options, log).RunAsync(cloudDll, edgeDll, work, cancellationToken));

    private async Task<LineRateResult> RunAsync(string cloudDll, string edgeDll, string work, CancellationToken cancellationToken)
    {
        await using var link = await ShapedLink.UpAsync(options.LinkMegabits, log, cancellationToken);
        var size = (long)options.PackageMegabytes << 20;
        var (sha256, file) = await DownloadRun.WritePackageAsync(Directory.CreateDirectory(Path.Combine(work, "package")).FullName, size, cancellationToken);
        log.WriteLine($"  linerate: package of {size >> 20} MiB, sha256 {sha256}");
        var restUrl = ServerProcess.FreeLoopbackUrl();
        var grpcUrl = ServerProcess.FreeLoopbackUrl();
        await using var hub = await BenchHub.StartAsync(cloudDll, Path.Combine(work, "hub"), restUrl, grpcUrl, TimeSpan.FromMinutes(5), cancellationToken);
        await DownloadRun.UploadAsync(hub.Rest, file, cancellationToken);
        await hub.PutBlueprintAsync(DownloadRun.Blueprint(), cancellationToken);
        File.Delete(file);

        var appliance = await ApplianceAsync(edgeDll, hub, grpcUrl, link, sha256, size, Path.Combine(work, "site"), cancellationToken);
        return new LineRateResult(size, options.DownloadClients, link.Megabits, link.BytesPerSecond, appliance, await link.StatsAsync(cancellationToken));
    }

    private async Task<LineRateAppliance> ApplianceAsync(
        string edgeDll, BenchHub hub, Uri grpcUrl, ShapedLink link, string sha256, long size, string siteDir, CancellationToken cancellationToken)
    {
        var (siteId, credential) = await hub.AddSiteAsync(cancellationToken, "Bench DC line rate");
        var token = await hub.IssueTokenAsync(siteId, 1000, TimeSpan.FromHours(1), cancellationToken);
        var loopbackUrl = ServerProcess.FreeLoopbackUrl("https");
        var linkUrl = new Uri($"https://{link.HostAddress}:{ServerProcess.FreeLoopbackUrl().Port.ToString(CultureInfo.InvariantCulture)}");
        log.WriteLine($"  linerate: appliance on {loopbackUrl} (probe) and {linkUrl} (devices, through the link)");
        await using var edge = await StartAsync("appliance", edgeDll,
            ["serve", "--data-dir", siteDir, "--urls", Text(loopbackUrl) + ";" + Text(linkUrl), "--hub", Text(grpcUrl), "--site-credential", credential, "--sync-interval", "1"],
            loopbackUrl, cancellationToken, () => ServerProcess.SitePin(siteDir));
        var pin = edge.Pin!;
        var fetchSeconds = await DownloadRun.WaitForCacheAsync(Path.Combine(siteDir, "blobs", sha256), log, cancellationToken);

        using var handler = AgentHttp.CreateHandler(options.DownloadClients + ProbeLoad.Devices, pin);
        using var http = AgentHttp.CreateClient(handler, loopbackUrl, TimeSpan.FromMinutes(5));
        var api = new DeviceApiClient(http);
        await using var probe = ProbeProcess.Start(loopbackUrl, pin, await EnrollAsync(api, token, "LRPROBE", ProbeLoad.Devices, log, "linerate", cancellationToken), ProbeLoad.Period, Path.Combine(siteDir + "-probe"));
        var secretsFile = siteDir + "-secrets.txt";
        await File.WriteAllLinesAsync(secretsFile, (await EnrollAsync(api, token, "LRCLIENT", options.DownloadClients, log, "linerate", cancellationToken)).Select(d => d.Secret), cancellationToken);

        var url = new Uri(linkUrl, $"/api/v1/packages/{sha256}");
        var idle = new List<IReadOnlyList<ProbeLoad.Sample>> { await DownloadRun.IdleAsync(probe, log, cancellationToken) };
        // Unmeasured: JITs the serving path and fills the page cache, as in the ceiling scenario.
        var warmup = await RoundAsync("warm-up", edge, probe, link, url, pin, secretsFile, size, cancellationToken);
        var rounds = new List<LinkRound>();
        for (var round = 0; round < Rounds; round++)
        {
            idle.Add(await DownloadRun.IdleAsync(probe, log, cancellationToken));
            rounds.Add(await RoundAsync((round + 1).ToString(CultureInfo.InvariantCulture), edge, probe, link, url, pin, secretsFile, size, cancellationToken));
        }

        idle.Add(await DownloadRun.IdleAsync(probe, log, cancellationToken));
        return new LineRateAppliance(fetchSeconds, idle, warmup, rounds, probe.Errors);
    }

    /// <summary>Every device downloads the whole package once, all at once, through the link, while the probe checks in.</summary>
    private async Task<LinkRound> RoundAsync(
        string name, ServerProcess edge, ProbeProcess probe, ShapedLink link, Uri url, string pin, string secretsFile, long size, CancellationToken cancellationToken)
    {
        using var stopProbe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probing = probe.RunAsync(stopProbe.Token);
        await Task.Delay(ProbeLoad.Warmup, cancellationToken);
        var cpuBefore = edge.Sample().Cpu;
        var downloads = await DownloadClients.RunAsync(link, url, pin, secretsFile, cancellationToken);
        var cpu = (edge.Sample().Cpu - cpuBefore).TotalSeconds;
        await stopProbe.CancelAsync();
        var done = downloads.Where(d => d.Error is null).ToList();
        var started = done.Count == 0 ? 0 : done.Min(d => d.Started);
        var finished = done.Count == 0 ? 0 : done.Max(d => d.Finished);
        var checkins = (await probing).Where(c => c.CompletedAt >= started && c.CompletedAt <= finished).ToList();
        foreach (var failure in downloads.Where(d => d.Error is not null).Take(3))
            log.WriteLine($"  linerate: round {name}: a download failed: {failure.Error}");
        var measure = new LinkRound(name, done.Sum(d => d.Bytes), (finished - started) / (double)Stopwatch.Frequency, downloads.Count(d => d.Bytes == size), downloads.Count, checkins, cpu);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  linerate: round {name}: {measure.Clients} clients, {measure.Bytes / 1048576.0:0} MiB in {measure.Seconds:0.00} s = {measure.BytesPerSecond / link.BytesPerSecond:0.000}× the link, complete {measure.Complete}/{measure.Clients}"));
        return measure;
    }
}

/// <summary>One round through the link: the devices' bytes over the wall time from the first request to the last byte.</summary>
/// <param name="ServerCpuSeconds">The appliance's CPU time in the round (its check-ins included).</param>
internal sealed record LinkRound(string Name, long Bytes, double Seconds, int Complete, int Clients, IReadOnlyList<ProbeLoad.Sample> CheckinSamples, double ServerCpuSeconds)
{
    public double BytesPerSecond => Seconds > 0 ? Bytes / Seconds : 0;

    public Percentiles Checkins => ProbeLoad.Percentiles(CheckinSamples, long.MinValue, long.MaxValue);
}

/// <summary>The appliance's side of the run: its idle windows (before the warm-up, then before and after each round) and rounds.</summary>
internal sealed record LineRateAppliance(
    double FetchSeconds, IReadOnlyList<IReadOnlyList<ProbeLoad.Sample>> IdleWindowSamples, LinkRound Warmup, IReadOnlyList<LinkRound> Rounds, long ProbeErrors)
{
    /// <summary>Every check-in of the idle windows after the warm-up, pooled (the window before it is a minute-old appliance's, as in the ceiling scenario).</summary>
    public Percentiles Idle => ProbeLoad.Percentiles(IdleWindowSamples.Skip(1).SelectMany(w => w), long.MinValue, long.MaxValue);

    /// <summary>Every check-in completed while the devices downloaded, over all measured rounds.</summary>
    public Percentiles During => ProbeLoad.Percentiles(Rounds.SelectMany(r => r.CheckinSamples), long.MinValue, long.MaxValue);

    /// <summary>All measured rounds' bytes over their seconds.</summary>
    public double BytesPerSecond => Rounds.Sum(r => r.Bytes) / Rounds.Sum(r => r.Seconds);

    public long Errors => ProbeErrors + Rounds.Append(Warmup).Sum(r => (long)(r.Clients - r.Complete));
}

/// <summary>What the line-rate scenario measured.</summary>
/// <param name="LinkStats">tc's counters of the shaping qdisc at the end (sent, dropped, overlimits).</param>
internal sealed record LineRateResult(long PackageBytes, int Clients, int LinkMegabits, double LinkBytesPerSecond, LineRateAppliance Appliance, string LinkStats)
{
    public long Errors => Appliance.Errors;
}
