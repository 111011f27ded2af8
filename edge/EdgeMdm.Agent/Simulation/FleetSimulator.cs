using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Rollouts;
using Polly;

namespace EdgeMdm.Agent;

/// <summary>
/// N virtual devices against one appliance, for demos and load tests: each enrolls, then checks in on the
/// appliance's interval (or <see cref="SimulationOptions.IntervalOverride"/>), fetches declarations when
/// their token changes and reports command results, until the duration is over or the run is cancelled.
/// </summary>
/// <remarks>
/// All devices share one <see cref="HttpClient"/> and its connection pool. Every failed request counts as
/// an error; the first few are written to the log with their reason. Devices start at a random point of
/// their first interval, so a fleet does not check in in the same millisecond.
/// </remarks>
public sealed class FleetSimulator
{
    private const int LoggedErrors = 10;

    // Requests in flight when the duration ends may finish during this grace, then they are cancelled.
    private static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    // The shortest wait between check-ins while a staging step is about to change (the appliance allows 10/s a device).
    private static readonly TimeSpan MinStagingWait = TimeSpan.FromMilliseconds(200);

    private readonly SimulationOptions _options;
    private readonly TextWriter _log;
    private readonly SiteFloor? _floor;

    /// <summary>The serial of device <paramref name="index"/> (1-based) of a run with these options.</summary>
    public static string SerialOf(SimulationOptions options, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.SerialPrefix + index.ToString("D5", CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// The failures injected into device <paramref name="index"/>: one draw per knob from a stream of its own, so the
    /// same seed picks the same devices whatever the fractions (and a test can name the devices to expect stuck).
    /// </summary>
    public static InjectedFaults FaultsOf(SimulationOptions options, int index)
    {
        ArgumentNullException.ThrowIfNull(options);
        var knobs = new Random(Seeds.Mix(Seeds.Mix(options.Seed, index), 2));
        return new InjectedFaults(
            StorageFull: knobs.NextDouble() < options.StorageFullFraction,
            OldOs: knobs.NextDouble() < options.OldOsFraction,
            Offline: knobs.NextDouble() < options.OfflineFraction,
            WifiFails: knobs.NextDouble() < options.WifiFailFraction,
            PeripheralMissing: knobs.NextDouble() < options.PeripheralMissingFraction);
    }

    /// <param name="options">What to run.</param>
    /// <param name="log">Where errors are described; standard error by default.</param>
    /// <param name="floor">The cradles and shift rhythm every device of the run shares; null: none.</param>
    public FleetSimulator(SimulationOptions options, TextWriter? log = null, SiteFloor? floor = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.Problem() is { } problem)
            throw new ArgumentException(problem, nameof(options));
        _options = options;
        _log = log is null ? Console.Error : TextWriter.Synchronized(log);
        _floor = floor;
    }

    public async Task<SimulationSummary> RunAsync(CancellationToken cancellationToken = default)
    {
        var started = Stopwatch.GetTimestamp();
        // Built before the stop timer starts: the first pipeline of a process takes a few hundred milliseconds to
        // build, which a short run would otherwise lose from its devices' first enrollments.
        var enrollRetries = AgentRetries.Enrollment(_options.TimeProvider);
        using var handler = AgentHttp.CreateHandler(_options.MaxConcurrency, _options.TlsPin);
        using var http = AgentHttp.CreateClient(handler, _options.Server, _options.RequestTimeout);

        // Stop: no new request after the duration. Abort: cancels what is still in flight after the grace,
        // or at once when the caller cancels.
        using var stop = new CancellationTokenSource(_options.Duration, _options.TimeProvider);
        using var stopOrCancel = CancellationTokenSource.CreateLinkedTokenSource(stop.Token, cancellationToken);
        using var abortTimer = new CancellationTokenSource(_options.Duration + StopGrace, _options.TimeProvider);
        using var abort = CancellationTokenSource.CreateLinkedTokenSource(abortTimer.Token, cancellationToken);
        using var gate = new SemaphoreSlim(_options.MaxConcurrency);
        var packageDirectory = _options.PackageDirectory ?? Path.Combine(Path.GetTempPath(), "edgemdm-simulate-" + Guid.NewGuid().ToString("N"));
        var run = new Run(_options, _floor, new DeviceApiClient(http), enrollRetries, gate, _log, packageDirectory, stopOrCancel.Token, abort.Token);
        try
        {
            var devices = Enumerable.Range(1, _options.Devices).Select(run.RunDeviceAsync).ToArray();
            var latencies = (await Task.WhenAll(devices)).SelectMany(l => l).ToList();
            latencies.Sort();
            return run.Summarize(latencies, Stopwatch.GetElapsedTime(started));
        }
        finally
        {
            if (_options.PackageDirectory is null && Directory.Exists(packageDirectory))
                Directory.Delete(packageDirectory, recursive: true);
        }
    }

    /// <summary>The shared state of one run; each device task only adds to its counters.</summary>
    private sealed class Run(
        SimulationOptions options, SiteFloor? floor, DeviceApiClient api, ResiliencePipeline enrollRetries, SemaphoreSlim gate, TextWriter log, string packageDirectory,
        CancellationToken stop, CancellationToken abort)
    {
        private readonly ConcurrentDictionary<string, long> _errorsByKind = new(StringComparer.Ordinal);
        private readonly ConcurrentDictionary<string, long> _installFailures = new(StringComparer.Ordinal);
        private long _installs;
        private long _installsDeferred;
        private long _packageBytes;
        private int _keyRefusalsLogged;
        private int _enrolled;
        private long _checkins;
        private long _errors;
        private long _offlineSlots;
        private long _declarationFetches;
        private long _commandResults;
        private long _wakes;
        private long _wokenCheckins;

        /// <summary>Enrolls device <paramref name="index"/> and runs it; returns its check-in latencies.</summary>
        public async Task<List<TimeSpan>> RunDeviceAsync(int index)
        {
            var latencies = new List<TimeSpan>();
            var seed = Seeds.Mix(options.Seed, index);
            var (storageFull, oldOs, offline, wifiFails, peripheralMissing) = FaultsOf(options, index);
            var device = new VirtualDevice(SerialOf(options, index), seed, options.TimeProvider, floor)
            {
                OsVersionOverride = oldOs ? options.OldOsVersion : null,
            };
            device.StagingRun.TimeScale = options.StagingTimeScale;
            device.StagingRun.WifiAssociationFails = wifiFails;
            device.StagingRun.PeripheralMissing = peripheralMissing;
            device.SetSampleApp(options.SampleApp);
            if (storageFull)
                device.FillStorage(options.StorageFreedAfter);
            try
            {
                var enrollment = await EnrollAsync(device, EnrollRequestOf(index, device));
                if (enrollment is not null)
                {
                    // The pin the fleet connects with is the key the site signs with; without one, each device pins the first key it sees.
                    var trust = new SiteTrust(enrollment.DeviceId, options.TlsPin);
                    var agent = new DeviceAgent(api, device, enrollment.DeviceSecret, trust, Installer(device.Serial, enrollment.DeviceSecret));
                    OfferKey(agent, enrollment.PackageSigningKey);
                    var silentUntil = !offline ? DateTimeOffset.MinValue
                        : options.OfflineFor is { } silence ? options.TimeProvider.GetUtcNow() + silence
                        : DateTimeOffset.MaxValue;
                    using var wakes = WakeListener.BrokerFrom(options.Mqtt, enrollment.MqttUrl) is { } broker
                        ? new WakeListener(broker, enrollment.DeviceId, enrollment.DeviceSecret, options.TimeProvider, log: null, seed: Seeds.Mix(seed, 3), pin: options.TlsPin)
                        : null;
                    var listening = wakes?.RunAsync(stop) ?? Task.CompletedTask;
                    try
                    {
                        await CheckInUntilStoppedAsync(agent, enrollment, new Random(Seeds.Mix(seed, 1)), latencies, silentUntil, wakes?.Signal);
                    }
                    finally
                    {
                        await listening;
                        Interlocked.Add(ref _wakes, wakes?.Wakes ?? 0);
                    }
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested || abort.IsCancellationRequested)
            {
                // The run is over; what this device did so far counts.
            }

            return latencies;
        }

        public SimulationSummary Summarize(List<TimeSpan> sortedLatencies, TimeSpan elapsed) => new()
        {
            Devices = options.Devices,
            Enrolled = _enrolled,
            Checkins = Interlocked.Read(ref _checkins),
            Errors = Interlocked.Read(ref _errors),
            P50 = SimulationSummary.Percentile(sortedLatencies, 0.50),
            P99 = SimulationSummary.Percentile(sortedLatencies, 0.99),
            ErrorsByKind = new SortedDictionary<string, long>(_errorsByKind, StringComparer.Ordinal),
            OfflineSlots = Interlocked.Read(ref _offlineSlots),
            Installs = Interlocked.Read(ref _installs),
            InstallFailuresByReason = new SortedDictionary<string, long>(_installFailures, StringComparer.Ordinal),
            InstallsDeferred = Interlocked.Read(ref _installsDeferred),
            PackageBytes = Interlocked.Read(ref _packageBytes),
            DeclarationFetches = Interlocked.Read(ref _declarationFetches),
            CommandResults = Interlocked.Read(ref _commandResults),
            Wakes = Interlocked.Read(ref _wakes),
            WokenCheckins = Interlocked.Read(ref _wokenCheckins),
            Elapsed = elapsed,
        };

        /// <summary>
        /// Retries transport failures and server errors with backoff until the run stops; gives up at once
        /// on a refusal (4xx: bad token, used up...), which would only repeat.
        /// </summary>
        /// <summary>Device <paramref name="index"/> scans the code of its slot when the run stages a batch; otherwise it has the token alone.</summary>
        private EnrollRequest EnrollRequestOf(int index, VirtualDevice device) =>
            options.StagingCodes is { } codes
                ? device.CreateEnrollRequest(codes[index - 1].Token) with { Code = codes[index - 1].Proof() }
                : device.CreateEnrollRequest(options.EnrollmentToken);

        private async Task<EnrollResponse?> EnrollAsync(VirtualDevice device, EnrollRequest request) =>
            // No attempt starts, and no wait goes on, once the run stops; an attempt under way may finish until it aborts.
            await enrollRetries.ExecuteAsync(
                async _ =>
                {
                    await gate.WaitAsync(abort);
                    try
                    {
                        var enrollment = await api.EnrollAsync(request, abort);
                        Interlocked.Increment(ref _enrolled);
                        return enrollment;
                    }
                    catch (Exception e) when (AgentFailures.IsRequestFailure(e, abort))
                    {
                        RecordError(device.Serial, new AgentFailure("enroll", e));
                        if (e is DeviceApiException { IsPermanent: true })
                            return null;
                        throw;
                    }
                    finally
                    {
                        gate.Release();
                    }
                },
                stop);

        /// <summary>
        /// Each device downloads into a part directory of its own and verifies its own download; verified files
        /// land in one shared directory, so the fleet keeps one copy per package on disk, not one per device.
        /// </summary>
        private PackageInstaller Installer(string serial, string deviceSecret)
        {
            var files = new PackageFiles(Path.Combine(packageDirectory, "verified"), Path.Combine(packageDirectory, "parts", serial), keepAfterInstall: true);
            return new PackageInstaller(api, deviceSecret, files, new SigningKeyPin(), options.TimeProvider, options.RetryPolicy);
        }

        private void OfferKey(DeviceAgent agent, string? pem)
        {
            if (agent.OfferSigningKey(pem) == KeyOffer.Refused)
                LogKeyRefusal(agent.Device.Serial, agent.Packages?.Pin.LastRefusal);
        }

        private void LogKeyRefusal(string serial, string? refusal)
        {
            if (Interlocked.Increment(ref _keyRefusalsLogged) <= LoggedErrors)
                log.WriteLine($"edgemdm-agent: {serial} {refusal}");
        }

        private async Task CheckInUntilStoppedAsync(
            DeviceAgent agent, EnrollResponse enrollment, Random jitter, List<TimeSpan> latencies, DateTimeOffset silentUntil, WakeSignal? wakes)
        {
            var interval = options.IntervalOverride ?? TimeSpan.FromSeconds(Math.Max(1, enrollment.CheckinIntervalSeconds));
            var wait = interval * jitter.NextDouble();
            while (true)
            {
                if (wakes is null)
                    await Task.Delay(wait, options.TimeProvider, stop);
                else if (await wakes.WaitAsync(wait, options.TimeProvider, stop))
                    Interlocked.Increment(ref _wokenCheckins);
                wait = interval;
                if (options.TimeProvider.GetUtcNow() < silentUntil || !agent.Device.BeginCheckinSlot())
                {
                    Interlocked.Increment(ref _offlineSlots);
                    continue;
                }

                await gate.WaitAsync(abort);
                try
                {
                    var outcome = await agent.CheckinAsync(abort);
                    latencies.Add(outcome.Latency);
                    Record(agent.Device.Serial, outcome);
                    interval = options.IntervalOverride ?? outcome.NextInterval;
                    wait = agent.Device.StagingRun.NextChangeIn is { } stagingDue && stagingDue < interval
                        ? (stagingDue < MinStagingWait ? MinStagingWait : stagingDue)
                        : interval;
                }
                catch (Exception e) when (AgentFailures.IsRequestFailure(e, abort))
                {
                    RecordError(agent.Device.Serial, new AgentFailure("checkin", e));
                }
                finally
                {
                    gate.Release();
                }
            }
        }

        private void Record(string serial, CheckinOutcome outcome)
        {
            Interlocked.Increment(ref _checkins);
            Interlocked.Add(ref _commandResults, outcome.ResultsReported);
            if (outcome.DeclarationsFetched)
                Interlocked.Increment(ref _declarationFetches);
            if (outcome.SigningKeyRefused is { } refusal)
                LogKeyRefusal(serial, refusal);
            foreach (var package in outcome.Packages)
            {
                Interlocked.Add(ref _packageBytes, package.Downloaded);
                switch (package.Result)
                {
                    case PackageStepResult.Installed:
                        Interlocked.Increment(ref _installs);
                        break;
                    case PackageStepResult.NotYetAvailable:
                        Interlocked.Increment(ref _installsDeferred);
                        break;
                    default:
                        _installFailures.AddOrUpdate((package.Reason ?? InstallFailureReason.Other).ToWire(), 1, (_, n) => n + 1);
                        break;
                }
            }
            foreach (var failure in outcome.Failures)
                RecordError(serial, failure);
        }

        private void RecordError(string serial, AgentFailure failure)
        {
            var count = Interlocked.Increment(ref _errors);
            _errorsByKind.AddOrUpdate(failure.Kind, 1, (_, n) => n + 1);
            if (count <= LoggedErrors)
                log.WriteLine($"edgemdm-agent: {serial} {failure.Operation} failed: {AgentFailures.Describe(failure.Exception)}");
            else if (count == LoggedErrors + 1)
                log.WriteLine("edgemdm-agent: more errors; they are counted but not logged");
        }
    }
}

/// <summary>What <see cref="FleetSimulator"/> injects into one device (<see cref="SimulationOptions"/>' fractions).</summary>
public sealed record InjectedFaults(bool StorageFull, bool OldOs, bool Offline, bool WifiFails, bool PeripheralMissing);
