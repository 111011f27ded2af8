using System.Runtime.InteropServices;
using System.Text.Json.Nodes;
using static EdgeMdm.Bench.BenchProcesses;

namespace EdgeMdm.Bench;

/// <summary>
/// The sync catch-up scenario (issue 3, ADR 0001): the hub and the appliance as processes, the uplink between
/// them through a <see cref="FaultyProxy"/>. With the uplink down, a backlog of changes builds up in the
/// appliance's outbox; then the uplink heals, and the bench measures how fast the backlog drains to the hub,
/// how many bytes cross the wire compared with the same changes as plain JSON, and what the catch-up does to
/// check-in latency. Every phase is bounded by time.
/// </summary>
internal sealed class CatchupRun(BenchOptions options, TextWriter log)
{
    /// <summary>The real site the headline ratio is measured against: 2000 devices, one check-in a minute each.</summary>
    public const int SiteDevices = 2000;
    public const double SiteCheckinsPerSecond = SiteDevices / 60.0;

    private static readonly TimeSpan IdleWindow = TimeSpan.FromSeconds(15);

    /// <summary>Check-ins in flight while the backlog is built.</summary>
    private const int BuildConcurrency = 64;

    /// <summary>A backlog device leaves five changes: enrolled, → Enrolling, → Staging, its status, → Active.</summary>
    private const int ChangesPerBacklogDevice = 5;

    private static readonly TimeSpan BuildLimit = TimeSpan.FromMinutes(3);
    private static readonly TimeSpan DrainLimit = TimeSpan.FromMinutes(4);
    private static readonly TimeSpan SettleLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);

    private long _buildErrors;

    public static async Task<CatchupResult> RunAsync(string cloudDll, string edgeDll, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var hubDir = TempDirectory("edgemdm-bench-hub-");
        var siteDir = TempDirectory("edgemdm-bench-site-");
        try
        {
            return await new CatchupRun(options, log).RunAsync(cloudDll, edgeDll, hubDir, siteDir, cancellationToken);
        }
        finally
        {
            // Reached after both processes have stopped (the await using inside), so no file is open.
            DeleteDirectory(hubDir, log);
            DeleteDirectory(siteDir, log);
        }
    }

    private async Task<CatchupResult> RunAsync(string cloudDll, string edgeDll, string hubDir, string siteDir, CancellationToken cancellationToken)
    {
        // ---- the hub, a site, a blueprint and a token ----
        var restUrl = ServerProcess.FreeLoopbackUrl();
        var grpcUrl = ServerProcess.FreeLoopbackUrl();
        log.WriteLine($"edgemdm-bench: catch-up: hub on {restUrl} (REST) and {grpcUrl} (gRPC), data in {hubDir}");
        await using var hub = await BenchHub.StartAsync(cloudDll, hubDir, restUrl, grpcUrl, RequestTimeout, cancellationToken);
        var (siteId, credential, token) = await SetUpSiteAsync(hub, cancellationToken);

        // ---- the appliance, its uplink through the proxy ----
        await using var proxy = new FaultyProxy(grpcUrl, seed: 1);
        var edgeUrl = ServerProcess.FreeLoopbackUrl();
        log.WriteLine($"edgemdm-bench: catch-up: appliance on {edgeUrl}, uplink through {proxy.Url}, data in {siteDir}");
        string[] pushCeiling = options.SyncMaxRate is { } rate ? ["--sync-max-rate", rate.ToString(CultureInfo.InvariantCulture)] : [];
        await using var edge = await StartAsync("appliance", edgeDll,
            ["serve", "--data-dir", siteDir, "--urls", Text(edgeUrl), "--hub", Text(proxy.Url), "--site-credential", credential, "--sync-interval", "1", .. pushCeiling],
            edgeUrl, cancellationToken);
        await WaitAsync("the appliance to apply the hub's feed (blueprint, token)", () => Task.FromResult(EdgeFiles.FeedPosition(siteDir) > 0), TimeSpan.FromSeconds(60), cancellationToken);
        var rig = new Rig(hub, edge, proxy, siteId, siteDir);

        using var handler = AgentHttp.CreateHandler(BuildConcurrency + ProbeLoad.Devices);
        using var http = AgentHttp.CreateClient(handler, edgeUrl, RequestTimeout);
        var api = new DeviceApiClient(http);

        // ---- idle: the probe load with the uplink up and no backlog ----
        var probe = new ProbeLoad(api, await EnrollAsync(api, token, "CUPROBE", ProbeLoad.Devices, log, "catch-up", cancellationToken), ProbeLoad.Period);
        var idle = await MeasureIdleAsync(rig, probe, cancellationToken);

        // ---- the backlog, built with the uplink down ----
        proxy.Fault = UplinkFault.Down;
        log.WriteLine($"  catch-up: uplink down; building a backlog of {options.Backlog} changes");
        var buildStarted = Stopwatch.GetTimestamp();
        var backlogDevices = await BuildBacklogAsync(api, token, siteDir, cancellationToken);
        var buildSeconds = Stopwatch.GetElapsedTime(buildStarted).TotalSeconds;
        var content = EdgeFiles.ReadOutbox(siteDir);
        var backlogThrough = EdgeFiles.ProducedThrough(siteDir);
        var appliedBefore = (long)await hub.AppliedThroughAsync(siteId, cancellationToken);
        log.WriteLine($"  catch-up: {content.Rows} changes in the outbox after {buildSeconds:0.0} s ({backlogDevices} devices); refused uplink connections: {proxy.RefusedConnections}");

        // ---- heal: drain the backlog under the probe load; then everything must be at the hub ----
        var drain = await DrainAsync(rig, probe, backlogThrough, cancellationToken);
        var final = await SettleAsync(rig, cancellationToken);

        // ---- idle again, after the catch-up: a second look at the baseline on a machine shared with others ----
        var idleAfter = final.Converged ? await MeasureIdleAsync(rig, probe, cancellationToken) : idle;
        return new CatchupResult(content, backlogDevices, backlogThrough, appliedBefore, buildSeconds, Interlocked.Read(ref _buildErrors), idle, idleAfter, drain, final, probe.Errors)
        {
            SyncMaxRate = options.SyncMaxRate,
        };
    }

    private async Task<(string SiteId, string Credential, string Token)> SetUpSiteAsync(BenchHub hub, CancellationToken cancellationToken)
    {
        var (siteId, credential) = await hub.AddSiteAsync(cancellationToken);
        await hub.PutBlueprintAsync(Blueprint(), cancellationToken);
        var uses = Math.Min(1_000_000, (options.Backlog / ChangesPerBacklogDevice) + ProbeLoad.Devices + 10_000);
        return (siteId, credential, await hub.IssueTokenAsync(siteId, uses, TimeSpan.FromHours(4), cancellationToken));
    }

    /// <summary>The probe load with the uplink up and nothing queued; then waits until the hub holds what it produced.</summary>
    private async Task<IdleMeasure> MeasureIdleAsync(Rig rig, ProbeLoad probe, CancellationToken cancellationToken)
    {
        log.WriteLine($"  catch-up: idle probe, {ProbeLoad.Devices} devices every {ProbeLoad.Period.TotalMilliseconds:0} ms, {IdleWindow.TotalSeconds:0} s after {ProbeLoad.Warmup.TotalSeconds:0} s warm-up");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = probe.RunAsync(stop.Token);
        var from = Stopwatch.GetTimestamp() + Ticks(ProbeLoad.Warmup);
        var to = from + Ticks(IdleWindow);
        await Task.Delay(ProbeLoad.Warmup, cancellationToken);
        var hubFrom = rig.Hub.Process.Sample();
        var edgeFrom = rig.Edge.Sample();
        var machineFrom = MachineCpu.Read();
        await Task.Delay(IdleWindow, cancellationToken);
        var hubTo = rig.Hub.Process.Sample();
        var edgeTo = rig.Edge.Sample();
        var machineTo = MachineCpu.Read();
        await stop.CancelAsync();
        var idle = new IdleMeasure(ProbeLoad.Percentiles(await running, from, to), Usage.Between(hubFrom, hubTo), Usage.Between(edgeFrom, edgeTo), MachineCpu.BusyCores(machineFrom, machineTo));
        await WaitAsync("the idle traffic to reach the hub", () => ConvergedAsync(rig, cancellationToken), SettleLimit, cancellationToken);
        return idle;
    }

    /// <summary>Heals the uplink with the probe load running, and waits until the hub holds the whole backlog.</summary>
    private async Task<DrainMeasure> DrainAsync(Rig rig, ProbeLoad probe, long backlogThrough, CancellationToken cancellationToken)
    {
        using var stopProbe = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var running = probe.RunAsync(stopProbe.Token);
        await Task.Delay(ProbeLoad.Warmup, cancellationToken);
        rig.Proxy.ResetCounters();
        var healedAt = Stopwatch.GetTimestamp();
        rig.Proxy.Fault = UplinkFault.None;
        log.WriteLine("  catch-up: uplink up; draining");
        var hubFrom = rig.Hub.Process.Sample();
        var edgeFrom = rig.Edge.Sample();
        var machineFrom = MachineCpu.Read();
        var connected = false;
        var drainedAt = 0L;
        var deadline = healedAt + Ticks(DrainLimit);
        while (Stopwatch.GetTimestamp() < deadline)
        {
            if (!connected && rig.Proxy.FirstForwardedAt != 0)
            {
                // CPU and disk are counted from the first forwarded connection: before it, the appliance only waits out its backoff.
                connected = true;
                hubFrom = rig.Hub.Process.Sample();
                edgeFrom = rig.Edge.Sample();
                machineFrom = MachineCpu.Read();
            }

            if (await rig.Hub.AppliedThroughAsync(rig.SiteId, cancellationToken) >= (ulong)backlogThrough)
            {
                drainedAt = Stopwatch.GetTimestamp();
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        var hubTo = rig.Hub.Process.Sample();
        var edgeTo = rig.Edge.Sample();
        var machineTo = MachineCpu.Read();
        var connectedAt = rig.Proxy.FirstForwardedAt;
        var measure = new DrainMeasure(
            ReconnectSeconds: connectedAt == 0 ? double.NaN : Seconds(healedAt, connectedAt),
            DrainSeconds: drainedAt == 0 || connectedAt == 0 ? double.NaN : Seconds(connectedAt, drainedAt),
            ProducedDuringDrain: EdgeFiles.ProducedThrough(rig.SiteDir) - backlogThrough,
            UpstreamBytes: rig.Proxy.UpstreamBytes,
            DownstreamBytes: rig.Proxy.DownstreamBytes,
            Connections: rig.Proxy.ForwardedConnections,
            Hub: Usage.Between(hubFrom, hubTo),
            Edge: Usage.Between(edgeFrom, edgeTo),
            MachineCores: MachineCpu.BusyCores(machineFrom, machineTo),
            Latency: default,
            WaitingLatency: default);
        await stopProbe.CancelAsync();
        var samples = await running;
        var none = new Percentiles(0, double.NaN, double.NaN);
        return measure with
        {
            Latency = drainedAt == 0 || connectedAt == 0 ? none : ProbeLoad.Percentiles(samples, connectedAt, drainedAt),
            // The control: the same backlog in the database, the uplink up, but the appliance still waiting out its backoff.
            WaitingLatency = connectedAt == 0 ? none : ProbeLoad.Percentiles(samples, healedAt, connectedAt),
        };
    }

    /// <summary>With the probe load stopped: everything the site produced reaches the hub and the outbox empties.</summary>
    private async Task<Settled> SettleAsync(Rig rig, CancellationToken cancellationToken)
    {
        var converged = await TryWaitAsync(() => ConvergedAsync(rig, cancellationToken), SettleLimit, cancellationToken);
        var final = new Settled(converged, EdgeFiles.ProducedThrough(rig.SiteDir), (long)await rig.Hub.AppliedThroughAsync(rig.SiteId, cancellationToken), EdgeFiles.OutboxDepth(rig.SiteDir));
        log.WriteLine($"  catch-up: converged: {converged} (site produced through {final.Produced}, hub applied through {final.Applied}, outbox {final.Depth})");
        return final;
    }

    private static async Task<bool> ConvergedAsync(Rig rig, CancellationToken cancellationToken) =>
        EdgeFiles.OutboxDepth(rig.SiteDir) == 0
        && (long)await rig.Hub.AppliedThroughAsync(rig.SiteId, cancellationToken) == EdgeFiles.ProducedThrough(rig.SiteDir);

    private static double Seconds(long from, long to) => to > from ? (to - from) / (double)Stopwatch.Frequency : 0;

    /// <summary>
    /// Enrolls devices and checks each in twice (its whole status, then a delta holding the declarations
    /// token, which completes staging), in chunks, until the outbox holds the backlog asked for. With the
    /// uplink down no push reads the outbox, so each device's status stays one coalesced row.
    /// </summary>
    private async Task<int> BuildBacklogAsync(DeviceApiClient api, string token, string siteDir, CancellationToken cancellationToken)
    {
        var deadline = Stopwatch.GetTimestamp() + Ticks(BuildLimit);
        var next = 0;
        var depth = EdgeFiles.OutboxDepth(siteDir);
        while (depth < options.Backlog && Stopwatch.GetTimestamp() < deadline)
        {
            var chunk = (int)Math.Min(5000, Math.Max(1, (options.Backlog - depth + ChangesPerBacklogDevice - 1) / ChangesPerBacklogDevice));
            using var timeout = new CancellationTokenSource(Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), deadline));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
            var first = next;
            next += chunk;
            try
            {
                await Parallel.ForEachAsync(Enumerable.Range(first, chunk), new ParallelOptions { MaxDegreeOfParallelism = BuildConcurrency, CancellationToken = stop.Token }, async (i, ct) =>
                {
                    var serial = "CU" + i.ToString("D7", CultureInfo.InvariantCulture);
                    try
                    {
                        var enrolled = await api.EnrollAsync(BenchDevice.EnrollRequest(serial, token), ct);
                        var device = new BenchDevice(serial, enrolled.DeviceSecret, new Random(i));
                        device.Acknowledge(await api.CheckinAsync(device.Secret, device.NextCheckin(), ct));
                        device.Acknowledge(await api.CheckinAsync(device.Secret, device.NextCheckin(), ct));
                    }
                    catch (Exception e) when (AgentFailures.IsRequestFailure(e, ct))
                    {
                        if (Interlocked.Increment(ref _buildErrors) <= 5)
                            log.WriteLine($"  catch-up: {serial} failed: {AgentFailures.Describe(e)}");
                    }
                });
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                log.WriteLine($"  catch-up: backlog not built within {BuildLimit.TotalMinutes:0} min");
            }

            depth = EdgeFiles.OutboxDepth(siteDir);
            log.WriteLine($"  catch-up: {next} devices, {depth} changes in the outbox");
        }

        return next;
    }

    private static JsonObject Blueprint() => new()
    {
        ["group"] = "pickers",
        ["apps"] = new JsonArray(new JsonObject { ["packageName"] = "com.edgemdm.sample.scanner", ["versionCode"] = 100, ["versionName"] = "1.0.0" }),
        ["os"] = new JsonObject { ["minVersion"] = "13" },
        ["configurations"] = new JsonArray(),
        ["certificates"] = new JsonArray(),
        ["batteryHealthFloorPercent"] = 75,
    };
}

/// <summary>The processes and handles of one catch-up run.</summary>
internal sealed record Rig(BenchHub Hub, ServerProcess Edge, FaultyProxy Proxy, string SiteId, string SiteDir);

/// <summary>Nearest-rank check-in latencies of a window, in milliseconds.</summary>
[StructLayout(LayoutKind.Auto)]
internal readonly record struct Percentiles(int Count, double P50Ms, double P99Ms);

/// <summary>The drain, from the heal until the hub held the whole backlog; times in seconds, CPU in cores
/// (1.0 = one core busy), counted from the first forwarded connection.</summary>
internal sealed record DrainMeasure(
    double ReconnectSeconds,
    double DrainSeconds,
    long ProducedDuringDrain,
    long UpstreamBytes,
    long DownstreamBytes,
    long Connections,
    Usage Hub,
    Usage Edge,
    double MachineCores,
    Percentiles Latency,
    Percentiles WaitingLatency)
{
    public long WireBytes => UpstreamBytes + DownstreamBytes;
}

/// <summary>The idle window: check-in latency, and what the hub and the appliance used meanwhile.</summary>
/// <param name="MachineCores">Cores busy on the whole machine over the window: more than the processes here means other work ran meanwhile.</param>
internal sealed record IdleMeasure(Percentiles Latency, Usage Hub, Usage Edge, double MachineCores);

/// <summary>A process over a window: CPU in cores (1.0 = one core busy), bytes written to storage, and per second.</summary>
internal sealed record Usage(double Cores, long DiskBytes, double Seconds)
{
    public double DiskBytesPerSecond => DiskBytes / Seconds;

    public static Usage Between(ProcessSample from, ProcessSample to)
    {
        ArgumentNullException.ThrowIfNull(from);
        ArgumentNullException.ThrowIfNull(to);
        var seconds = (to.Timestamp - from.Timestamp) / (double)Stopwatch.Frequency;
        return new Usage(seconds > 0 ? (to.Cpu - from.Cpu).TotalSeconds / seconds : double.NaN, to.DiskWriteBytes - from.DiskWriteBytes, seconds);
    }
}

/// <summary>After the probe load stopped: did the hub end up with everything the site produced?</summary>
internal sealed record Settled(bool Converged, long Produced, long Applied, long Depth);

/// <summary>What the catch-up scenario measured.</summary>
internal sealed record CatchupResult(
    OutboxContent Backlog,
    int BacklogDevices,
    long BacklogThrough,
    long AppliedBefore,
    double BuildSeconds,
    long BuildErrors,
    IdleMeasure Idle,
    IdleMeasure IdleAfter,
    DrainMeasure Drain,
    Settled Final,
    long ProbeErrors)
{
    /// <summary>Sequences the hub had to take to hold the backlog (above what it held at the heal); equals the outbox rows when the log has no holes.</summary>
    public long Drained => BacklogThrough - AppliedBefore;

    /// <summary>The appliance's push ceiling as set by the bench; null: its default.</summary>
    public int? SyncMaxRate { get; init; }

    public double DrainPerSecond => Backlog.Rows / Drain.DrainSeconds;

    public double BuildPerSecond => Backlog.Rows / BuildSeconds;

    /// <summary>The baseline of the latency target: the lower idle p99 of the two windows (the stricter comparison).</summary>
    public double IdleP99Ms => Math.Min(Idle.Latency.P99Ms, IdleAfter.Latency.P99Ms);

    public long Errors => ProbeErrors + BuildErrors + (Final.Converged ? 0 : 1) + (double.IsNaN(Drain.DrainSeconds) ? 1 : 0);
}
