using EdgeMdm.Contracts.Device;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The appliance as the <c>.deb</c> ships it (a ReadyToRun self-contained linux-x64 publish, Workstation GC, a 256 MiB
/// heap limit): start-to-ready, resident memory idle and with N devices enrolled, N MQTT connections and the devices
/// checking in at a site's pace, and the bytes the process writes to storage per check-in, for check-ins that change
/// the status and for check-ins that change nothing but when the device was seen. The data directory is on the
/// disk the bench runs from (<c>/proc/PID/io</c> counts nothing for a tmpfs).
/// </summary>
internal sealed class FootprintRun(BenchOptions options, TextWriter log)
{
    private const string DemoToken = "demo-pickers-token-2026";
    private const int EnrollConcurrency = 8;
    private const int CheckinConcurrency = 64;
    private const int Starts = 3;

    /// <summary>The default write interval of sightings over the agent's default check-in interval (300 s / 60 s).</summary>
    private const int CheckinsPerSightingWrite = 5;

    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan ReadyLimit = TimeSpan.FromSeconds(60);

    /// <summary>The settings the <c>.deb</c>'s unit gives the appliance, unless this process's environment names others.</summary>
    public static readonly IReadOnlyDictionary<string, string> PackageRuntime = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["DOTNET_gcServer"] = "0",
        ["DOTNET_GCHeapHardLimit"] = "0x10000000",
    };

    public static Task<FootprintResult> RunAsync(string repo, string seed, BenchOptions options, TextWriter log, CancellationToken cancellationToken) =>
        InWorkDirectoryAsync("edgemdm-bench-footprint-", log, work => new FootprintRun(options, log).RunAsync(repo, seed, work, cancellationToken));

    private async Task<FootprintResult> RunAsync(string repo, string seed, string work, CancellationToken cancellationToken)
    {
        var devices = options.FootprintDevices;
        OpenFileLimit.Require(devices + CheckinConcurrency + 512, "the footprint scenario (one MQTT connection per device)");
        var executable = options.ApplianceExecutable ?? await PublishAsync(repo, cancellationToken);
        var pass = TimeSpan.FromSeconds(devices / (double)options.FootprintRate);
        var sightingWrite = TimeSpan.FromSeconds(Math.Max(1, Math.Round(pass.TotalSeconds * CheckinsPerSightingWrite)));
        var environment = RuntimeEnvironment(sightingWrite);
        // Below the bench's working directory, not /tmp: a tmpfs has no block device and /proc/PID/io counts no write there.
        var dataDir = Path.Combine(Path.GetFullPath("artifacts"), "bench-footprint-" + Path.GetFileName(work));
        try
        {
            var url = ServerProcess.FreeLoopbackUrl();
            var mqttPort = ServerProcess.FreeLoopbackUrl().Port.ToString(CultureInfo.InvariantCulture);
            string[] serve = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", Text(url), "--mqtt-listen-plain", "127.0.0.1:" + mqttPort];
            var starts = new List<StartFigures>();
            for (var i = 0; i < Starts; i++)
            {
                await using var started = await ApplianceProcess.StartAsync(executable, serve, url, environment, ReadyLimit, cancellationToken);
                starts.Add(new StartFigures(started.ReadySeconds, started.ReadyCpuSeconds));
                log.WriteLine(Invariant($"  footprint: start {i + 1} ready in {started.ReadySeconds:0.000} s, {started.ReadyCpuSeconds:0.00} s of CPU{(i == 0 ? " (a new site: database, key ring, certificates made)" : "")}"));
            }

            await using var appliance = await ApplianceProcess.StartAsync(executable, serve, url, environment, ReadyLimit, cancellationToken);
            await Task.Delay(Settle, cancellationToken);
            var idle = appliance.Memory();
            log.WriteLine(Invariant($"  footprint: idle, resident {Mib(idle.Rss)} MiB"));
            var loaded = await LoadAsync(appliance, url, new Uri("mqtt://127.0.0.1:" + mqttPort), cancellationToken);
            return new FootprintResult(
                Path.GetFileName(executable), environment, devices, options.FootprintRate, sightingWrite, starts, idle, loaded.Memory, loaded.Enrolled, loaded.Changing,
                loaded.Unchanged, loaded.Errors);
        }
        finally
        {
            DeleteDirectory(dataDir, log);
        }
    }

    /// <summary>The devices enrolled, connected to the broker, then checking in at the site's pace: first changing their status, then not.</summary>
    private async Task<LoadFigures> LoadAsync(ApplianceProcess appliance, Uri url, Uri broker, CancellationToken cancellationToken)
    {
        using var handler = AgentHttp.CreateHandler(CheckinConcurrency);
        using var http = AgentHttp.CreateClient(handler, url, TimeSpan.FromMinutes(2));
        var api = new DeviceApiClient(http);
        var devices = await EnrollWakeDevicesAsync(api, DemoToken, "FOOT", options.FootprintDevices, EnrollConcurrency, cancellationToken);
        var enrolled = appliance.Memory();
        log.WriteLine(Invariant($"  footprint: {devices.Count} enrolled, resident {Mib(enrolled.Rss)} MiB"));
        await using var fleet = new WakeFleet("the appliance's broker", broker, devices, api: null);
        await fleet.ConnectAsync(log, cancellationToken);
        var pace = new CheckinPace(api, devices, options.FootprintRate);
        // Every device's whole status first (as after enrolling), then a pass of the everyday changes, unmeasured.
        await pace.RunAsync(2 * devices.Count, changing: true, cancellationToken);
        var changing = await MeasureAsync(appliance, pace, devices.Count, changing: true, cancellationToken);
        log.WriteLine(Invariant($"  footprint: check-ins changing the status: {changing.BytesPerCheckin / 1024:0.0} KiB written each ({changing.Checkins} check-ins)"));
        // One pass so that each device's held token is the one stored, then the window: whole write intervals of sightings.
        await pace.RunAsync(devices.Count, changing: false, cancellationToken);
        var unchanged = await MeasureAsync(appliance, pace, 2 * CheckinsPerSightingWrite * devices.Count, changing: false, cancellationToken);
        log.WriteLine(Invariant($"  footprint: check-ins changing nothing: {unchanged.BytesPerCheckin / 1024:0.00} KiB written each ({unchanged.Checkins} check-ins)"));
        var memory = appliance.Memory();
        log.WriteLine(Invariant($"  footprint: {devices.Count} devices checking in and connected, resident {Mib(memory.Rss)} MiB (peak {Mib(memory.PeakRss)} MiB)"));
        return new LoadFigures(enrolled, memory, changing, unchanged, pace.Errors + fleet.Errors);
    }

    private static async Task<WriteFigures> MeasureAsync(ApplianceProcess appliance, CheckinPace pace, int checkins, bool changing, CancellationToken cancellationToken)
    {
        var before = appliance.WrittenBytes();
        var started = Stopwatch.GetTimestamp();
        await pace.RunAsync(checkins, changing, cancellationToken);
        return new WriteFigures(checkins, appliance.WrittenBytes() - before, Stopwatch.GetElapsedTime(started).TotalSeconds);
    }

    private static Dictionary<string, string> RuntimeEnvironment(TimeSpan sightingWrite)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in PackageRuntime)
            environment[name] = Environment.GetEnvironmentVariable(name) is { Length: > 0 } given ? given : value;
        environment["EDGEMDM_Edge__LastSeenWriteSeconds"] = sightingWrite.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        return environment;
    }

    /// <summary>The publish the <c>.deb</c> ships, made under <c>artifacts/bench/edge-linux-x64</c>.</summary>
    private async Task<string> PublishAsync(string repo, CancellationToken cancellationToken)
    {
        var output = Path.Combine(repo, "artifacts", "bench", "edge-linux-x64");
        log.WriteLine($"edgemdm-bench: footprint: publishing the appliance (ReadyToRun, self-contained, linux-x64) to {output}");
        var info = new ProcessStartInfo("dotnet") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", Path.Combine(repo, "edge", "EdgeMdm.Edge"), "-c", "Release", "-r", "linux-x64", "--self-contained", "-p:PublishReadyToRun=true", "-o", output, "--nologo", "-v", "quiet" })
            info.ArgumentList.Add(arg);
        using var process = Process.Start(info) ?? throw new ServerStartException("could not start dotnet publish");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
            throw new ServerStartException($"dotnet publish exited with {process.ExitCode}: {(await stdout).Trim()} {(await stderr).Trim()}");
        return Path.Combine(output, "edgemdm-edge");
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Mib(long bytes) => (bytes / 1048576.0).ToString("0.0", CultureInfo.InvariantCulture);

    private sealed record LoadFigures(ProcessMemory Enrolled, ProcessMemory Memory, WriteFigures Changing, WriteFigures Unchanged, long Errors);
}

/// <summary>
/// The devices checking in round-robin at <c>rate</c> check-ins a second overall (a site's devices each on its own
/// interval), at most <see cref="Concurrency"/> at once. A changing check-in is the device's next one (its battery
/// moves, now and then its apps); an unchanged one carries no status and the token the device holds.
/// </summary>
internal sealed class CheckinPace(DeviceApiClient api, IReadOnlyList<WakeDevice> devices, int rate)
{
    private const int Concurrency = 64;
    private readonly string?[] _tokens = new string?[devices.Count];
    private long _next;
    private long _errors;

    public long Errors => Interlocked.Read(ref _errors);

    public async Task RunAsync(int checkins, bool changing, CancellationToken cancellationToken)
    {
        var first = Interlocked.Read(ref _next);
        var started = Stopwatch.GetTimestamp();
        var workers = Enumerable.Range(0, Concurrency).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var n = Interlocked.Increment(ref _next) - 1;
                if (n - first >= checkins)
                    return;
                var due = started + (long)((n - first) * Stopwatch.Frequency / (double)rate);
                var wait = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), due);
                if (wait > TimeSpan.FromMilliseconds(1))
                    await Task.Delay(wait, cancellationToken);
                await CheckInAsync((int)(n % devices.Count), changing, cancellationToken);
            }
        }, cancellationToken));
        await Task.WhenAll(workers);
        // The workers overshoot by one each: the next run starts where the counted ones ended.
        Interlocked.Exchange(ref _next, first + checkins);
    }

    private async Task CheckInAsync(int index, bool changing, CancellationToken cancellationToken)
    {
        var device = devices[index];
        try
        {
            var request = changing ? device.Status.NextCheckin() : new CheckinRequest { DeclarationsToken = Volatile.Read(ref _tokens[index]) };
            var response = await api.CheckinAsync(device.Secret, request, cancellationToken);
            device.Status.Acknowledge(response);
            Volatile.Write(ref _tokens[index], response.DeclarationsToken);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException or DeviceApiException && !cancellationToken.IsCancellationRequested)
        {
            Interlocked.Increment(ref _errors);
        }
    }
}

/// <summary>One start: wall time to the first <c>/readyz</c> 200, and the CPU time the process had used by then.</summary>
internal sealed record StartFigures(double Seconds, double CpuSeconds);

/// <summary>Bytes the appliance wrote to storage over <see cref="Checkins"/> check-ins (<c>write_bytes</c> of /proc/PID/io).</summary>
internal sealed record WriteFigures(int Checkins, long Bytes, double Seconds)
{
    public double BytesPerCheckin => Bytes / (double)Checkins;
}

/// <summary>Resident memory now and at its peak (VmRSS, VmHWM), and the managed heap's committed bytes are not in it: the process as the kernel sees it.</summary>
internal sealed record ProcessMemory(long Rss, long PeakRss);

internal sealed record FootprintResult(
    string Executable,
    IReadOnlyDictionary<string, string> Environment,
    int Devices,
    int Rate,
    TimeSpan SightingWrite,
    IReadOnlyList<StartFigures> Starts,
    ProcessMemory Idle,
    ProcessMemory Loaded,
    ProcessMemory Enrolled,
    WriteFigures Changing,
    WriteFigures Unchanged,
    long Errors);
