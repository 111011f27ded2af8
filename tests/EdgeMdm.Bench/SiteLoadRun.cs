using System.Net;
using System.Net.Sockets;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Bench;

/// <summary>
/// A site's shape, open loop, over the site's TLS: the appliance with <see cref="BenchOptions.SiteDevices"/> devices,
/// first checking in round-robin at <see cref="BenchOptions.SiteRate"/> a second (steady), then a shift change: every
/// device once, each at a random moment within <see cref="BenchOptions.ShiftWindow"/>, on a new TLS connection (a device
/// picked up from its cradle has no connection left), with a full TLS handshake each; then the shift change again with each
/// new connection resuming a TLS session (a device back from a break). Each check-in is sent when its schedule says, whether or not the
/// ones before it were answered, and its latency runs from that moment, so a server that falls behind shows it in the
/// figures rather than slowing the load (no coordinated omission).
/// </summary>
internal sealed class SiteLoadRun(BenchOptions options, TextWriter log)
{
    private const string DemoToken = "demo-pickers-token-2026";
    private const int EnrollConcurrency = 16;

    /// <summary>
    /// Kept-alive connections the steady part shares: enough for the check-ins in flight at the rate, and far fewer than
    /// one per device, which starved the load generator in its handshakes (the overview scenario's finding).
    /// </summary>
    private const int SteadyConnections = 200;

    /// <summary>Check-ins a slow server may leave in flight before the load generator stops adding more (each still timed from its schedule).</summary>
    private const int MaxInFlight = 4000;

    private static readonly TimeSpan Warmup = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    public static Task<SiteLoadResult> RunAsync(string edgeDll, string seed, BenchOptions options, TextWriter log, CancellationToken cancellationToken) =>
        BenchProcesses.InWorkDirectoryAsync("edgemdm-bench-site-", log, work => new SiteLoadRun(options, log).RunAsync(edgeDll, seed, work, cancellationToken));

    private async Task<SiteLoadResult> RunAsync(string edgeDll, string seed, string work, CancellationToken cancellationToken)
    {
        var dataDir = Path.Combine(work, "appliance");
        var url = ServerProcess.FreeLoopbackUrl("https");
        log.WriteLine($"edgemdm-bench: site: appliance on {url}, data in {dataDir}");
        string[] args = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", BenchProcesses.Text(url)];
        await using var server = await BenchProcesses.StartAsync("appliance", edgeDll, args, url, cancellationToken, () => ServerProcess.SitePin(dataDir));

        using var steadyHandler = AgentHttp.CreateHandler(SteadyConnections, server.Pin);
        using var steadyHttp = AgentHttp.CreateClient(steadyHandler, url, RequestTimeout);
        var steadyApi = new DeviceApiClient(steadyHttp);
        var devices = await BenchProcesses.EnrollWakeDevicesAsync(steadyApi, DemoToken, "SITE", options.SiteDevices, EnrollConcurrency, cancellationToken);
        log.WriteLine($"  site: {devices.Count} devices enrolled");

        var random = new Random(29);
        var steadyCount = (int)(options.SiteRate * options.SiteDuration.TotalSeconds);
        var warmupCount = (int)(options.SiteRate * Warmup.TotalSeconds);
        await RunScheduleAsync(steadyApi, devices, Steady(warmupCount, 0), cancellationToken);
        var before = server.Sample();
        var histogram = await CheckinHistogram.ScrapeAsync(steadyHttp, cancellationToken);
        var steady = await RunScheduleAsync(steadyApi, devices, Steady(steadyCount, warmupCount), cancellationToken);
        var steadyCpu = Cores(before, server.Sample());
        var steadyOnServer = (await CheckinHistogram.ScrapeAsync(steadyHttp, cancellationToken)).Since(histogram);
        log.WriteLine(Invariant($"  site: steady {options.SiteRate}/s: p50 {steady.Percentile(0.50):0.0} ms, p99 {steady.Percentile(0.99):0.0} ms, {steady.Errors} errors"));

        // The shift change: every device once, on a connection of its own (no pooling: each request a new TLS handshake),
        // a full one: the client names the appliance by its address, and .NET offers no session to resume to an address.
        using var shiftHandler = AgentHttp.CreateHandler(int.MaxValue, server.Pin);
        shiftHandler.PooledConnectionLifetime = TimeSpan.Zero;
        using var shiftHttp = AgentHttp.CreateClient(shiftHandler, url, RequestTimeout);
        var shift = await ShiftChangeAsync("shift change", server, shiftHttp, steadyHttp, devices, random, cancellationToken);

        // The same again with each new connection resuming a TLS session: devices back from a break shorter than a
        // session ticket lives (2 h), naming the appliance as a device that found it by mDNS does (the certificate's
        // localhost stands in for its .local name; the socket still goes to the appliance's address). .NET keeps one
        // ticket per name for the whole process, where each device holds its own: the appliance's work is the same.
        using var resumingHandler = AgentHttp.CreateHandler(int.MaxValue, server.Pin);
        resumingHandler.PooledConnectionLifetime = TimeSpan.Zero;
        resumingHandler.ConnectCallback = (_, token) => ConnectAsync(new IPEndPoint(IPAddress.Parse(url.Host), url.Port), token);
        using var resumingHttp = AgentHttp.CreateClient(resumingHandler, new UriBuilder(url) { Host = "localhost" }.Uri, RequestTimeout);
        // The first connection's ticket is the one the others resume.
        (await resumingHttp.GetAsync(new Uri("healthz", UriKind.Relative), cancellationToken)).Dispose();
        var resumed = await ShiftChangeAsync("shift change, sessions resumed", server, resumingHttp, steadyHttp, devices, random, cancellationToken);
        return new SiteLoadResult(options, devices.Count, steady, steadyCpu, steadyOnServer, shift, resumed);

        List<Scheduled> Steady(int count, int first) =>
            [.. Enumerable.Range(0, count).Select(k => new Scheduled((first + k) % devices.Count, k / (double)options.SiteRate))];
    }

    /// <summary>
    /// Every device once, each at a random moment within <see cref="BenchOptions.ShiftWindow"/>, and what the appliance
    /// spent on them; its histogram is read through <paramref name="metrics"/>, a kept connection, outside the shift.
    /// </summary>
    private async Task<ShiftFigures> ShiftChangeAsync(
        string name, ServerProcess server, HttpClient http, HttpClient metrics, List<WakeDevice> devices, Random random, CancellationToken cancellationToken)
    {
        var window = options.ShiftWindow.TotalSeconds;
        var schedule = Enumerable.Range(0, devices.Count)
            .Select(i => new Scheduled(i, random.NextDouble() * window))
            .OrderBy(s => s.AtSeconds)
            .ToList();
        var before = server.Sample();
        var histogram = await CheckinHistogram.ScrapeAsync(metrics, cancellationToken);
        var figures = await RunScheduleAsync(new DeviceApiClient(http), devices, schedule, cancellationToken);
        var after = server.Sample();
        var onServer = (await CheckinHistogram.ScrapeAsync(metrics, cancellationToken)).Since(histogram);
        var shift = new ShiftFigures(figures, Cores(before, after), (after.Cpu - before.Cpu).TotalMilliseconds / devices.Count, onServer);
        log.WriteLine(Invariant($"  site: {name} ({devices.Count} in {window:0} s): p50 {figures.Percentile(0.50):0.0} ms, p99 {figures.Percentile(0.99):0.0} ms, {figures.Errors} errors, {shift.CpuMsPerCheckin:0.00} ms of appliance CPU per check-in"));
        return shift;
    }

    private static async ValueTask<Stream> ConnectAsync(IPEndPoint appliance, CancellationToken cancellationToken)
    {
        var socket = new Socket(appliance.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(appliance, cancellationToken);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Sends each check-in of <paramref name="schedule"/> at its moment (seconds from now), without waiting for the ones
    /// before it; a device's next check-in waits for its previous one to be answered (one agent, one request at a time).
    /// </summary>
    private async Task<OpenLoopFigures> RunScheduleAsync(DeviceApiClient api, List<WakeDevice> devices, List<Scheduled> schedule, CancellationToken cancellationToken)
    {
        var latencies = new double[schedule.Count];
        var errors = 0L;
        var busy = devices.Select(_ => new SemaphoreSlim(1, 1)).ToArray();
        using var inFlight = new SemaphoreSlim(MaxInFlight, MaxInFlight);
        var tasks = new List<Task>(schedule.Count);
        var start = Stopwatch.GetTimestamp();
        try
        {
            for (var n = 0; n < schedule.Count; n++)
            {
                var due = start + (long)(schedule[n].AtSeconds * Stopwatch.Frequency);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                    await Task.Delay(wait, cancellationToken);
                await inFlight.WaitAsync(cancellationToken);
                var index = n;
                tasks.Add(Task.Run(
                    async () =>
                    {
                        try
                        {
                            var ok = await CheckInAsync(api, devices[schedule[index].Device], busy[schedule[index].Device], cancellationToken);
                            latencies[index] = Stopwatch.GetElapsedTime(due).TotalMilliseconds;
                            if (!ok)
                                Interlocked.Increment(ref errors);
                        }
                        finally
                        {
                            inFlight.Release();
                        }
                    },
                    cancellationToken));
            }

            await Task.WhenAll(tasks);
        }
        finally
        {
            foreach (var device in busy)
                device.Dispose();
        }

        Array.Sort(latencies);
        return new OpenLoopFigures(latencies, Interlocked.Read(ref errors), Stopwatch.GetElapsedTime(start).TotalSeconds);
    }

    private async Task<bool> CheckInAsync(DeviceApiClient api, WakeDevice device, SemaphoreSlim busy, CancellationToken cancellationToken)
    {
        await busy.WaitAsync(cancellationToken);
        try
        {
            var response = await api.CheckinAsync(device.Secret, device.Status.NextCheckin(), cancellationToken);
            device.Status.Acknowledge(response);
            return true;
        }
        catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken))
        {
            log.WriteLine($"  site: {device.Status.Serial} check-in failed: {AgentFailures.Describe(e)}");
            return false;
        }
        finally
        {
            busy.Release();
        }
    }

    private static double Cores(ProcessSample before, ProcessSample after) =>
        (after.Cpu - before.Cpu).TotalSeconds / ((after.Timestamp - before.Timestamp) / (double)Stopwatch.Frequency);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private sealed record Scheduled(int Device, double AtSeconds);
}

/// <summary>An open-loop run: every check-in's latency from its scheduled moment (ms, sorted), the failures, and how long it took.</summary>
internal sealed record OpenLoopFigures(double[] SortedLatenciesMs, long Errors, double Seconds)
{
    /// <summary>Nearest rank.</summary>
    public double Percentile(double q) =>
        SortedLatenciesMs.Length == 0 ? double.NaN : SortedLatenciesMs[Math.Clamp((int)Math.Ceiling(q * SortedLatenciesMs.Length) - 1, 0, SortedLatenciesMs.Length - 1)];
}

/// <summary>A shift change's latencies, the appliance's CPU over it (cores), that CPU per check-in (ms), and its check-ins as the appliance timed them.</summary>
internal sealed record ShiftFigures(OpenLoopFigures CheckIns, double ServerCores, double CpuMsPerCheckin, CheckinHistogram OnServer);

/// <param name="SteadyOnServer">The steady check-ins as the appliance timed them (<see cref="CheckinHistogram"/>).</param>
/// <param name="Shift">Every device on a new connection with a full TLS handshake.</param>
/// <param name="ResumedShift">Every device on a new connection resuming a TLS session.</param>
internal sealed record SiteLoadResult(
    BenchOptions Options, int Devices, OpenLoopFigures Steady, double SteadyServerCores, CheckinHistogram SteadyOnServer, ShiftFigures Shift, ShiftFigures ResumedShift)
{
    public long Errors => Steady.Errors + Shift.CheckIns.Errors + ResumedShift.CheckIns.Errors;
}
