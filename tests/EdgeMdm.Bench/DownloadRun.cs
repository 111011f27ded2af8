using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The package download ceiling scenario (issues 4 and 29): one large package, uploaded at the hub, named by a blueprint
/// and fetched into the appliance's cache, is downloaded by many devices at once from the appliance over its site TLS
/// (<c>GET /api/v1/packages/{sha256}</c> with each device's credential, the certificate pinned, HTTP/1.1: the device
/// transport, docs/adr/0003-package-transport.md), and the same file by the same number of clients from Debian's nginx
/// over TLS with the same certificate and key, on the same machine in the same run, unshaped. After one unmeasured warm-up round each,
/// rounds alternate nginx, appliance, nginx, appliance, ... In every round a probe load checks in at the appliance
/// (the same background load whichever server moves the bytes); while the appliance serves, its resident memory
/// is sampled.
/// </summary>
internal sealed class DownloadRun(BenchOptions options, TextWriter log)
{
    private const string PackageName = "com.edgemdm.bench.large";
    private const int Rounds = 3;
    // Idle windows before the warm-up and after every appliance round, the later ones pooled: the machine's own idle tail
    // (mostly the fsync of a group commit) moves by a factor of 1.8 between runs and drifts within one, so the
    // baseline is sampled through the run beside the rounds it is held against, not once at its start.
    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan CacheLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan RoundLimit = TimeSpan.FromMinutes(3);

    public static Task<DownloadResult> RunAsync(string cloudDll, string edgeDll, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
        => InWorkDirectoryAsync("edgemdm-bench-download-", log, work => new DownloadRun(options, log).RunAsync(cloudDll, edgeDll, work, cancellationToken));

    private async Task<DownloadResult> RunAsync(string cloudDll, string edgeDll, string work, CancellationToken cancellationToken)
    {
        var hubDir = Path.Combine(work, "hub");
        var siteDir = Path.Combine(work, "site");
        var nginxRoot = Directory.CreateDirectory(Path.Combine(work, "www")).FullName;
        var size = (long)options.PackageMegabytes << 20;
        var (sha256, file) = await WritePackageAsync(nginxRoot, size, cancellationToken);
        log.WriteLine($"  download: package of {size >> 20} MiB, sha256 {sha256}");

        // ---- the hub with the package in its catalog, a blueprint naming it, the appliance caching it ----
        var restUrl = ServerProcess.FreeLoopbackUrl();
        var grpcUrl = ServerProcess.FreeLoopbackUrl();
        await using var hub = await BenchHub.StartAsync(cloudDll, hubDir, restUrl, grpcUrl, TimeSpan.FromMinutes(5), cancellationToken);
        await UploadAsync(hub.Rest, file, cancellationToken);
        var (siteId, credential) = await hub.AddSiteAsync(cancellationToken);
        await hub.PutBlueprintAsync(Blueprint(), cancellationToken);
        var token = await hub.IssueTokenAsync(siteId, 1000, TimeSpan.FromHours(1), cancellationToken);

        var edgeUrl = ServerProcess.FreeLoopbackUrl("https");
        await using var edge = await StartAsync("appliance", edgeDll,
            ["serve", "--data-dir", siteDir, "--urls", Text(edgeUrl), "--hub", Text(grpcUrl), "--site-credential", credential, "--sync-interval", "1"],
            edgeUrl, cancellationToken, () => ServerProcess.SitePin(siteDir));
        var pin = edge.Pin!;
        var fetchSeconds = await WaitForCacheAsync(Path.Combine(siteDir, "blobs", sha256), log, cancellationToken);

        using var handler = AgentHttp.CreateHandler(options.DownloadClients + ProbeLoad.Devices, pin);
        using var http = AgentHttp.CreateClient(handler, edgeUrl, TimeSpan.FromMinutes(5));
        var api = new DeviceApiClient(http);
        // In a process of its own: the 32 download clients keep this one's thread pool busy (see ProbeProcess).
        await using var probe = ProbeProcess.Start(edgeUrl, pin, await EnrollAsync(api, token, "DLPROBE", ProbeLoad.Devices, log, "download", cancellationToken), ProbeLoad.Period, Path.Combine(work, "probe"));
        var downloaders = await EnrollAsync(api, token, "DLCLIENT", options.DownloadClients, log, "download", cancellationToken);

        // ---- nginx serving the same bytes over TLS, with the appliance's certificate and key ----
        var tls = new NginxTls(Path.Combine(siteDir, "tls", "server.pem"), Path.Combine(siteDir, "tls", "server.key"));
        await using var nginx = await NginxProcess.StartAsync(nginxRoot, Path.Combine(work, "nginx"), tls, cancellationToken);
        var nginxUrl = new Uri(nginx.Url, sha256);
        var applianceUrl = new Uri(edgeUrl, $"/api/v1/packages/{sha256}");
        var sessions = new[] { await TlsSession.NegotiateAsync("appliance", edgeUrl, pin, cancellationToken), await TlsSession.NegotiateAsync("nginx", nginx.Url, pin, cancellationToken) };
        foreach (var session in sessions)
            log.WriteLine($"  download: {session}");

        // ---- idle windows and the rounds ----
        var idle = new List<IReadOnlyList<ProbeLoad.Sample>> { await IdleAsync(probe, log, cancellationToken) };
        var secrets = downloaders.Select(d => d.Secret).ToList();
        // One unmeasured round each first: the appliance's first download JITs its serving path, and neither
        // server should be measured with a cold page cache or cold connection pools.
        await RoundAsync("nginx (warm-up)", nginxUrl, pin, size, secrets: null, sampled: null, nginx.Cpu, probe, cancellationToken);
        var applianceWarmup = await RoundAsync("appliance (warm-up)", applianceUrl, pin, size, secrets, edge, () => edge.Sample().Cpu, probe, cancellationToken);
        var nginxRounds = new List<RoundMeasure>();
        var applianceRounds = new List<RoundMeasure>();
        for (var round = 0; round < Rounds; round++)
        {
            // The probe checks in during nginx's rounds too, so that both servers share the machine with the same load.
            nginxRounds.Add(await RoundAsync("nginx", nginxUrl, pin, size, secrets: null, sampled: null, nginx.Cpu, probe, cancellationToken));
            applianceRounds.Add(await RoundAsync("appliance", applianceUrl, pin, size, secrets, edge, () => edge.Sample().Cpu, probe, cancellationToken));
            idle.Add(await IdleAsync(probe, log, cancellationToken));
        }

        return new DownloadResult(size, options.DownloadClients, fetchSeconds, idle, nginxRounds, applianceWarmup, applianceRounds, probe.Errors, sessions);
    }

    /// <summary>Waits until the appliance has fetched and verified the package into its cache; returns the seconds it took.</summary>
    internal static async Task<double> WaitForCacheAsync(string cached, TextWriter log, CancellationToken cancellationToken)
    {
        var fetchStarted = Stopwatch.GetTimestamp();
        await WaitAsync("the appliance to cache the package", () => Task.FromResult(File.Exists(cached)), CacheLimit, cancellationToken);
        var fetchSeconds = Stopwatch.GetElapsedTime(fetchStarted).TotalSeconds;
        log.WriteLine($"  download: the appliance fetched and verified the package in {fetchSeconds:0.0} s");
        return fetchSeconds;
    }

    /// <summary>The probe's check-ins of one idle window (after its warm-up), nothing else running.</summary>
    internal static async Task<IReadOnlyList<ProbeLoad.Sample>> IdleAsync(ProbeProcess probe, TextWriter log, CancellationToken cancellationToken)
    {
        log.WriteLine($"  download: idle probe, {ProbeLoad.Devices} devices every {ProbeLoad.Period.TotalMilliseconds:0} ms, {IdleWindow.TotalSeconds:0} s");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = probe.RunAsync(stop.Token);
        await Task.Delay(ProbeLoad.Warmup, cancellationToken);
        var from = Stopwatch.GetTimestamp();
        await Task.Delay(IdleWindow, cancellationToken);
        var to = Stopwatch.GetTimestamp();
        await stop.CancelAsync();
        return (await running).Where(c => c.CompletedAt >= from && c.CompletedAt <= to).ToList();
    }

    /// <summary>
    /// Every client downloads the whole file once, all at the same time, on connections of its own. With
    /// <paramref name="secrets"/> each client is a device sending its credential. Throughput is all bytes over
    /// the wall time from the first request to the last byte. <paramref name="serverCpu"/> reads the CPU time the
    /// serving process (all its processes) used so far.
    /// </summary>
    private async Task<RoundMeasure> RoundAsync(
        string server, Uri url, string pin, long size, List<string>? secrets, ServerProcess? sampled, Func<TimeSpan> serverCpu, ProbeProcess? probe, CancellationToken cancellationToken)
    {
        var clients = options.DownloadClients;
        using var handler = DownloadHandler(clients, pin);
        using var http = new HttpClient(handler) { Timeout = RoundLimit };
        using var stopProbe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var probing = probe?.RunAsync(stopProbe.Token);
        if (probing is not null)
            await Task.Delay(ProbeLoad.Warmup, cancellationToken);

        using var stopSampling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var baseline = sampled?.Sample().RssBytes ?? 0;
        var peak = sampled is null ? Task.FromResult(0L) : PeakResidentAsync(sampled, stopSampling.Token);
        var cpuBefore = serverCpu();
        var machineBefore = MachineCpu.Read();
        var started = Stopwatch.GetTimestamp();
        var bytes = await Task.WhenAll(Enumerable.Range(0, clients).Select(i => DownloadAsync(http, url, secrets?[i], cancellationToken)));
        var finished = Stopwatch.GetTimestamp();
        var cpu = (serverCpu() - cpuBefore).TotalSeconds;
        var machineBusy = MachineCpu.BusyCores(machineBefore, MachineCpu.Read());
        await stopSampling.CancelAsync();
        var peakBytes = await peak;

        IReadOnlyList<ProbeLoad.Sample> checkins = [];
        if (probing is not null)
        {
            await stopProbe.CancelAsync();
            checkins = (await probing).Where(c => c.CompletedAt >= started && c.CompletedAt <= finished).ToList();
        }

        var seconds = (finished - started) / (double)Stopwatch.Frequency;
        var complete = bytes.Count(b => b == size);
        var measure = new RoundMeasure(server, bytes.Sum(), seconds, complete, baseline, peakBytes, checkins, cpu, machineBusy);
        log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  download: {server}: {clients} clients, {measure.Bytes / 1048576.0:0} MiB in {seconds:0.00} s = {measure.MibPerSecond:0} MiB/s, complete {complete}/{clients}"));
        return measure;
    }

    /// <summary>
    /// One connection per client, no decompression, HTTP/1.1 (HttpClient's default: ALPN offers http/1.1 only), the
    /// served certificate pinned as a device pins it; the same for both servers.
    /// </summary>
    internal static SocketsHttpHandler DownloadHandler(int clients, string pin)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = clients, AutomaticDecompression = DecompressionMethods.None, UseProxy = false };
        handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
            certificate is not null && string.Equals(ServerProcess.PinOf(certificate), pin, StringComparison.OrdinalIgnoreCase);
        return handler;
    }

    internal static async Task<long> DownloadAsync(HttpClient http, Uri url, string? secret, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (secret is not null)
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ServerStartException($"GET {url}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = new byte[128 * 1024];
        long total = 0;
        int read;
        while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
            total += read;
        return total;
    }

    /// <summary>The highest resident set seen every 50 ms until stopped.</summary>
    internal static async Task<long> PeakResidentAsync(ServerProcess server, CancellationToken stop)
    {
        long peak = 0;
        while (!stop.IsCancellationRequested)
        {
            peak = Math.Max(peak, server.Sample().RssBytes);
            try
            {
                await Task.Delay(50, stop);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        return Math.Max(peak, server.Sample().RssBytes);
    }

    /// <summary>Random bytes (incompressible, as an APK is) written once; the file nginx serves under its hash.</summary>
    internal static async Task<(string Sha256, string Path)> WritePackageAsync(string directory, long size, CancellationToken cancellationToken)
    {
        var staging = Path.Combine(directory, "package.tmp");
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        await using (var output = new FileStream(staging, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, useAsync: true))
        {
            var chunk = new byte[1 << 20];
            for (long written = 0; written < size; written += chunk.Length)
            {
                RandomNumberGenerator.Fill(chunk);
                var length = (int)Math.Min(chunk.Length, size - written);
                hash.AppendData(chunk, 0, length);
                await output.WriteAsync(chunk.AsMemory(0, length), cancellationToken);
            }
        }

        var sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
        var path = Path.Combine(directory, sha256);
        File.Move(staging, path);
        return (sha256, path);
    }

    internal static async Task UploadAsync(HttpClient rest, string file, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(file);
        using var content = new StreamContent(stream, 1 << 20);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        using var response = await rest.PostAsync(new Uri($"/api/v1/packages?packageName={PackageName}&versionCode=1&versionName=1.0.0", UriKind.Relative), content, cancellationToken);
        if (!response.IsSuccessStatusCode)
            throw new ServerStartException($"package upload: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(cancellationToken)}");
    }

    internal static JsonObject Blueprint() => new()
    {
        ["group"] = "pickers",
        ["apps"] = new JsonArray(new JsonObject { ["packageName"] = PackageName, ["versionCode"] = 1, ["versionName"] = "1.0.0" }),
        ["configurations"] = new JsonArray(),
        ["certificates"] = new JsonArray(),
    };
}

/// <summary>One round: every client downloaded the whole file once, at the same time.</summary>
/// <param name="ResidentBefore">The server's resident memory just before (0 where not sampled).</param>
/// <param name="ResidentPeak">The highest resident memory seen during the round (0 where not sampled).</param>
/// <param name="CheckinSamples">The probe's check-ins completed during the round.</param>
/// <param name="ServerCpuSeconds">CPU time of the serving processes in the round (the appliance's includes the probe's check-ins).</param>
/// <param name="MachineBusyCores">Cores of the whole machine busy in the round, clients included.</param>
internal sealed record RoundMeasure(
    string Server, long Bytes, double Seconds, int Complete, long ResidentBefore, long ResidentPeak, IReadOnlyList<ProbeLoad.Sample> CheckinSamples,
    double ServerCpuSeconds, double MachineBusyCores)
{
    /// <summary>Server CPU milliseconds per GiB sent.</summary>
    public double CpuMsPerGib => ServerCpuSeconds * 1000 / (Bytes / 1073741824.0);

    public Percentiles Checkins => ProbeLoad.Percentiles(CheckinSamples, long.MinValue, long.MaxValue);

    public double MibPerSecond => Bytes / 1048576.0 / Seconds;
}

/// <summary>What the download scenario measured.</summary>
/// <param name="IdleWindowSamples">The probe's check-ins of each idle window: before the warm-up, then after each appliance round.</param>
/// <param name="ApplianceWarmup">The appliance's unmeasured first round: its memory before it is where growth is counted from.</param>
internal sealed record DownloadResult(
    long PackageBytes, int Clients, double FetchSeconds, IReadOnlyList<IReadOnlyList<ProbeLoad.Sample>> IdleWindowSamples, IReadOnlyList<RoundMeasure> Nginx, RoundMeasure ApplianceWarmup,
    IReadOnlyList<RoundMeasure> Appliance, long ProbeErrors, IReadOnlyList<TlsSession> Sessions)
{
    /// <summary>
    /// Every check-in of the idle windows after the warm-up, pooled: the baseline the check-ins during downloads are
    /// held against. The window before the warm-up is left out: its appliance is a minute old and its tail two to
    /// three times the later windows' (2026-12-05).
    /// </summary>
    public Percentiles Idle => ProbeLoad.Percentiles(IdleWindowSamples.Skip(1).SelectMany(w => w), long.MinValue, long.MaxValue);

    /// <summary>Each idle window on its own.</summary>
    public IReadOnlyList<Percentiles> IdleWindows => IdleWindowSamples.Select(w => ProbeLoad.Percentiles(w, long.MinValue, long.MaxValue)).ToList();

    /// <summary>Every check-in completed while the appliance served, over all measured rounds: one sample, not the worst of three small ones.</summary>
    public Percentiles ApplianceCheckins => ProbeLoad.Percentiles(Appliance.SelectMany(a => a.CheckinSamples), long.MinValue, long.MaxValue);

    /// <summary>The same over nginx's rounds: what the machine's saturation alone does to check-ins.</summary>
    public Percentiles NginxCheckins => ProbeLoad.Percentiles(Nginx.SelectMany(a => a.CheckinSamples), long.MinValue, long.MaxValue);

    /// <summary>The appliance's highest resident memory in any round over its memory before its first download.</summary>
    public long ApplianceGrowth => Math.Max(0, Appliance.Append(ApplianceWarmup).Max(a => a.ResidentPeak) - ApplianceWarmup.ResidentBefore);

    public long Errors => ProbeErrors + Nginx.Concat(Appliance).Sum(r => (long)(Clients - r.Complete));
}
