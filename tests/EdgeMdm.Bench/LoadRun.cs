using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Bench;

/// <summary>
/// One server's share of the bench: enroll the devices, then a closed loop in which every worker checks in
/// back-to-back (no think time) through one shared <see cref="HttpClient"/>, first for the warm-up, then
/// for the measured window. Check-ins completed inside the window are counted and their latencies kept;
/// every failure anywhere (enrollment, warm-up, window) is an error.
/// </summary>
internal sealed class LoadRun(string endpoint, BenchOptions options, TextWriter log, CancellationToken interrupted)
{
    /// <summary>The name the appliance's <c>GroupCommitWriter</c> gives its thread: the serial part of every check-in.</summary>
    public const string DatabaseWriterThread = "edgemdm-db-writer";

    private const int LoggedErrors = 5;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan EnrollTimeout = TimeSpan.FromMinutes(2);

    // Check-ins still in flight when the window closes may finish within this grace; then they are cancelled.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(10);

    private long _errors;

    public static async Task<RunResult> RunAsync(
        string endpoint, ServerProcess server, string enrollmentToken, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        var devices = await EnrollAsync(endpoint, server, enrollmentToken, options, BenchFloor.Uniform, log, cancellationToken);
        return await RunAsync(endpoint, server, devices, options, log, cancellationToken);
    }

    /// <summary>Enrolls <see cref="BenchOptions.Devices"/> devices, as many at once as the concurrency allows; errors are logged and left out.</summary>
    public static async Task<EnrolledDevices> EnrollAsync(
        string endpoint, ServerProcess server, string enrollmentToken, BenchOptions options, BenchFloor floor, TextWriter log, CancellationToken cancellationToken)
    {
        var run = new LoadRun(endpoint, options, log, cancellationToken);
        using var handler = AgentHttp.CreateHandler(options.EffectiveConcurrency, server.Pin);
        using var http = AgentHttp.CreateClient(handler, server.Url, RequestTimeout);
        var devices = await run.EnrollAsync(new DeviceApiClient(http), enrollmentToken, floor, cancellationToken);
        log.WriteLine($"  {endpoint}: {devices.Count} devices enrolled");
        return new EnrolledDevices(devices, Interlocked.Read(ref run._errors));
    }

    /// <summary>The closed loop of check-ins over devices enrolled already (by <see cref="EnrollAsync"/>); its enrollment errors count in the row.</summary>
    public static async Task<RunResult> RunAsync(
        string endpoint, ServerProcess server, EnrolledDevices enrolled, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(enrolled);
        var run = new LoadRun(endpoint, options, log, cancellationToken) { _errors = enrolled.Errors };
        var devices = enrolled.Devices;
        using var handler = AgentHttp.CreateHandler(options.EffectiveConcurrency, server.Pin);
        using var http = AgentHttp.CreateClient(handler, server.Url, RequestTimeout);
        var api = new DeviceApiClient(http);
        log.WriteLine($"  {endpoint}: {devices.Count} devices; warm-up {options.Warmup.TotalSeconds:0.#} s, measuring {options.Duration.TotalSeconds:0.#} s");

        var start = Stopwatch.GetTimestamp();
        var window = new Window(start + Ticks(options.Warmup), start + Ticks(options.Warmup + options.Duration));
        using var abortTimer = new CancellationTokenSource(options.Warmup + options.Duration + StopGrace);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(abortTimer.Token, cancellationToken);

        // Worker w drives devices w, w + C, w + 2C... in turn; with the default C = devices, one device each.
        var concurrency = Math.Min(options.EffectiveConcurrency, Math.Max(devices.Count, 1));
        var workers = Enumerable.Range(0, concurrency)
            .Select(w => Task.Run(() => run.WorkAsync(api, devices.Where((_, i) => i % concurrency == w).ToArray(), window, abort.Token), CancellationToken.None))
            .ToArray();
        var (before, after) = await MeasureAsync(server, window, abort.Token);
        var latencies = (await Task.WhenAll(workers)).SelectMany(l => l).ToArray();
        Array.Sort(latencies);

        var seconds = (window.End - window.Start) / (double)Stopwatch.Frequency;
        var measured = (after.Server.Timestamp - before.Server.Timestamp) / (double)Stopwatch.Frequency;
        return new RunResult(
            endpoint,
            options.Devices,
            latencies.Length,
            latencies.Length / seconds,
            Percentile(latencies, 0.50),
            Percentile(latencies, 0.99),
            Interlocked.Read(ref run._errors),
            after.Server.PeakRssBytes,
            after.Server.RssBytes,
            (after.Server.Cpu - before.Server.Cpu).TotalSeconds / measured,
            (after.Self - before.Self).TotalSeconds / measured,
            MachineCpu.BusyCores(before.Machine, after.Machine),
            latencies.Length == 0 ? 0 : (after.Server.DiskWriteBytes - before.Server.DiskWriteBytes) / (double)latencies.Length,
            (after.Writer - before.Writer).TotalSeconds / measured);
    }

    /// <summary>Enrolls every device, as many at once as the concurrency allows; a device that fails is left out.</summary>
    private async Task<List<BenchDevice>> EnrollAsync(DeviceApiClient api, string token, BenchFloor floor, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(EnrollTimeout);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        var enrolled = new BenchDevice?[options.Devices];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = options.EffectiveConcurrency, CancellationToken = stop.Token };
        try
        {
            await Parallel.ForEachAsync(Enumerable.Range(0, options.Devices), parallel, async (i, ct) =>
            {
                var serial = BenchDevice.SerialOf(i + 1);
                try
                {
                    var answer = await api.EnrollAsync(BenchDevice.EnrollRequest(serial, token), ct);
                    enrolled[i] = new BenchDevice(serial, answer.DeviceSecret, new Random(i), floor);
                }
                catch (Exception e) when (AgentFailures.IsRequestFailure(e, ct))
                {
                    RecordError("enroll", serial, e);
                }
            });
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            RecordError("enroll", "-", new TimeoutException($"enrollment not finished within {EnrollTimeout.TotalSeconds:0} s"));
        }

        return enrolled.OfType<BenchDevice>().ToList();
    }

    /// <summary>One worker's closed loop; returns the latencies (Stopwatch ticks) of check-ins completed in the window.</summary>
    private async Task<List<long>> WorkAsync(DeviceApiClient api, BenchDevice[] devices, Window window, CancellationToken abort)
    {
        var latencies = new List<long>(1024);
        for (var n = 0; devices.Length > 0 && Stopwatch.GetTimestamp() < window.End; n++)
        {
            var device = devices[n % devices.Length];
            var request = device.NextCheckin();
            var started = Stopwatch.GetTimestamp();
            try
            {
                var answer = await api.CheckinAsync(device.Secret, request, abort);
                var finished = Stopwatch.GetTimestamp();
                device.Acknowledge(answer);
                if (finished >= window.Start && finished <= window.End)
                    latencies.Add(finished - started);
            }
            catch (Exception e) when (AgentFailures.IsRequestFailure(e, abort))
            {
                RecordError("checkin", device.Serial, e);
            }
            catch (OperationCanceledException e) when (abort.IsCancellationRequested)
            {
                // Still unanswered a grace period after the window closed; or the person running the bench
                // interrupted it, which is no error of the server.
                if (!interrupted.IsCancellationRequested)
                    RecordError("checkin", device.Serial, e);
                break;
            }
        }

        return latencies;
    }

    /// <summary>Reads the counters of the server, of this process and of the machine when the window opens and when it closes.</summary>
    private static async Task<(Counters Before, Counters After)> MeasureAsync(ServerProcess server, Window window, CancellationToken cancellationToken)
    {
        using var self = Process.GetCurrentProcess();
        await Task.Delay(Until(window.Start), cancellationToken);
        var before = Counters.Read(server, self);
        await Task.Delay(Until(window.End), cancellationToken);
        return (before, Counters.Read(server, self));
    }

    private void RecordError(string operation, string serial, Exception e)
    {
        var count = Interlocked.Increment(ref _errors);
        if (count <= LoggedErrors)
            log.WriteLine($"  {endpoint}: {serial} {operation} failed: {AgentFailures.Describe(e)}");
        else if (count == LoggedErrors + 1)
            log.WriteLine($"  {endpoint}: more errors; counted, not shown");
    }

    /// <summary>Nearest rank, in milliseconds: the smallest sample with at least <paramref name="q"/> of all at or below it.</summary>
    private static double Percentile(long[] sortedTicks, double q) =>
        sortedTicks.Length == 0
            ? double.NaN
            : sortedTicks[Math.Clamp((int)Math.Ceiling(q * sortedTicks.Length) - 1, 0, sortedTicks.Length - 1)] * 1000.0 / Stopwatch.Frequency;

    private static TimeSpan Until(long timestamp)
    {
        var left = Stopwatch.GetElapsedTime(Stopwatch.GetTimestamp(), timestamp);
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    private static long Ticks(TimeSpan duration) => (long)(duration.TotalSeconds * Stopwatch.Frequency);

    /// <summary>The measured window, in Stopwatch timestamps.</summary>
    private sealed record Window(long Start, long End);

    private sealed record Counters(ProcessSample Server, TimeSpan Self, MachineCpu Machine, TimeSpan Writer)
    {
        public static Counters Read(ServerProcess server, Process self)
        {
            self.Refresh();
            return new Counters(server.Sample(), self.TotalProcessorTime, MachineCpu.Read(), server.ThreadCpu(DatabaseWriterThread));
        }
    }
}

/// <summary>Devices enrolled once for several load runs, and the enrollments that failed.</summary>
internal sealed record EnrolledDevices(IReadOnlyList<BenchDevice> Devices, long Errors);

/// <summary>One row of the report.</summary>
/// <param name="ServerCores">CPU time of the server process over the window, divided by the window: 1.0 is one core busy.</param>
/// <param name="LoadCores">The same for this process, the load generator, which shares the machine.</param>
/// <param name="MachineCores">Cores busy on the whole machine over the window (NaN where unknown): more than
/// server + load generator means something else ran meanwhile.</param>
/// <param name="DiskBytesPerCheckin">Bytes the server caused to be written to storage, per check-in in the window.</param>
/// <param name="WriterCores">CPU time of the appliance's database writer thread over the window, divided by the window (0 for the no-op endpoint, which has none).</param>
internal sealed record RunResult(
    string Endpoint,
    int Devices,
    long Checkins,
    double CheckinsPerSecond,
    double P50Ms,
    double P99Ms,
    long Errors,
    long PeakRssBytes,
    long FinalRssBytes,
    double ServerCores,
    double LoadCores,
    double MachineCores,
    double DiskBytesPerCheckin,
    double WriterCores);
