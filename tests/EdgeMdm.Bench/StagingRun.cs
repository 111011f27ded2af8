using System.Net.Http.Headers;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Bench;

/// <summary>
/// The staging scenario: a real appliance over pinned https, seeded with a 7-step plan and a group naming it; a cart
/// of devices enrolls at once, each fetches its plan and goes through the steps, reporting each step running and then
/// succeeded at check-in (<c>status.staging</c>) with the status its blueprint requires (so drift is zero). The
/// device's own work is simulated by sleeping for a realistic time per step kind. What is measured is what the
/// appliance adds: the latency of each step-reporting check-in, of the plan fetch, and whether the last report made
/// the device Active at once.
/// </summary>
internal static class StagingRun
{
    private const string Group = "cart";
    private const string Token = "bench-staging-cart-token";
    private const string ScannerPackage = "com.edgemdm.sample.scanner";
    private const int LoggedErrors = 5;
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(30);
    private static readonly TimeSpan ActiveLimit = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Simulated device-side time per step kind, in seconds (min, max), drawn uniformly: joining Wi-Fi 3–8 s, an
    /// OEMConfig bundle 1–3 s, settings 1 s, finding and pairing a ring scanner 5–15 s, installing the group's apps a
    /// few seconds; the enrollment step's own call is the real enroll, the rest of it (device owner set-up) and the
    /// verify step's local checks take under a second.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, (double Min, double Max)> StepSeconds = new Dictionary<string, (double, double)>(StringComparer.Ordinal)
    {
        [StagingStepKinds.Enroll] = (0.5, 1.0),
        [StagingStepKinds.ManagedConfig] = (1.0, 3.0),
        [StagingStepKinds.InstallApps] = (2.0, 6.0),
        [StagingStepKinds.Wifi] = (3.0, 8.0),
        [StagingStepKinds.PairPeripheral] = (5.0, 15.0),
        [StagingStepKinds.Settings] = (1.0, 1.0),
        [StagingStepKinds.Verify] = (0.5, 1.0),
    };

    /// <summary>The site seed: one plan of the seven step kinds, the group naming it, and a token for the cart.</summary>
    public const string Seed = """
        # edgemdm-bench staging scenario: a cart staged through a 7-step plan.
        site:
          id: bench-staging-01
          name: Bench staging site
        stagingPlans:
          - name: cart-standard
            steps:
              - kind: enroll
              - kind: managedConfig
                packageName: com.zebra.oemconfig.common
                values: { scanner: { decoders: { qr: true } } }
              - kind: installApps
              - kind: wifi
                ssid: dc-floor
                security: wpa2-psk
                psk: bench-floor-psk-not-secret
              - { kind: pairPeripheral, peripheral: ring-scanner, addressPattern: "00:1B:*" }
              - { kind: settings, values: { screen.timeoutSeconds: 300 } }
              - kind: verify
        blueprints:
          - group: cart
            stagingPlan: cart-standard
            apps:
              - packageName: com.edgemdm.sample.scanner
                versionCode: 100
                versionName: 1.0.0
            os:
              minVersion: "13"
              minSecurityPatch: 2025-06-01
            batteryHealthFloorPercent: 75
        tokens:
          - token: bench-staging-cart-token
            group: cart
            uses: 100000
            expires: 2030-01-01T00:00:00Z
        """;

    public static async Task<StagingResult> RunAsync(string edgeDll, BenchOptions options, TextWriter log, CancellationToken cancellationToken) =>
        await BenchProcesses.InWorkDirectoryAsync("edgemdm-bench-staging-", log, async work =>
        {
            Directory.CreateDirectory(work);
            var seed = Path.Combine(work, "staging-seed.yaml");
            await File.WriteAllTextAsync(seed, Seed, cancellationToken);
            var dataDir = Path.Combine(work, "appliance");
            var url = ServerProcess.FreeLoopbackUrl("https");
            log.WriteLine($"edgemdm-bench: staging: appliance on {url}, data in {dataDir}; {options.StagingDevices} devices, step times ×{options.StepTimeScale:0.##}");
            string[] args = ["serve", "--data-dir", dataDir, "--seed", seed, "--urls", BenchProcesses.Text(url)];
            await using var appliance = await BenchProcesses.StartAsync("appliance", edgeDll, args, url, cancellationToken, () => ServerProcess.SitePin(dataDir));
            using var handler = AgentHttp.CreateHandler(options.StagingDevices, appliance.Pin);
            using var http = AgentHttp.CreateClient(handler, appliance.Url, RequestTimeout);
            var run = new Cart(new DeviceApiClient(http), http, dataDir, options, log, cancellationToken);

            var before = appliance.Sample();
            var started = Stopwatch.GetTimestamp();
            var devices = await Task.WhenAll(Enumerable.Range(0, options.StagingDevices)
                .Select(i => Task.Run(() => run.StageAsync(i), CancellationToken.None)));
            var wall = Stopwatch.GetElapsedTime(started);
            var after = appliance.Sample();
            return new StagingResult(options, devices, wall, (after.Cpu - before.Cpu).TotalSeconds, run.Errors);
        });

    /// <summary>The cart: what every device does, and the errors they met.</summary>
    private sealed class Cart(DeviceApiClient api, HttpClient http, string dataDir, BenchOptions options, TextWriter log, CancellationToken cancellationToken)
    {
        private long _errors;

        public long Errors => Interlocked.Read(ref _errors);

        /// <summary>One device from enrollment to Active; what it measured, or as far as it got.</summary>
        public async Task<StagedDevice> StageAsync(int index)
        {
            var serial = "CART" + index.ToString("D4", CultureInfo.InvariantCulture);
            var random = new Random(index);
            var measured = new StagedDevice(serial);
            try
            {
                var t = Stopwatch.GetTimestamp();
                var enrolled = await api.EnrollAsync(BenchDevice.EnrollRequest(serial, Token), cancellationToken);
                measured.EnrollTicks = Stopwatch.GetTimestamp() - t;

                t = Stopwatch.GetTimestamp();
                var plan = await PlanAsync(enrolled.DeviceSecret);
                measured.PlanFetchTicks = Stopwatch.GetTimestamp() - t;

                var planHash = plan.ContentHash();
                var session = new Session(enrolled.DeviceSecret, plan.Name, planHash);
                var steps = plan.Steps.Select(s => new StagingStepReport { StepId = s.Id, State = StagingStepStates.Pending, Attempts = 0 }).ToArray();
                var first = true;
                for (var i = 0; i < plan.Steps.Count; i++)
                {
                    var kind = plan.Steps[i].Kind;
                    steps[i] = steps[i] with { State = StagingStepStates.Running, Attempts = 1, StartedAt = DateTimeOffset.UtcNow };
                    measured.Reports.Add((kind, StagingStepStates.Running, await ReportAsync(session, steps, full: first)));
                    first = false;

                    var (min, max) = StepSeconds[kind];
                    var simulated = TimeSpan.FromSeconds((min + (random.NextDouble() * (max - min))) * options.StepTimeScale);
                    measured.SimulatedSeconds += simulated.TotalSeconds;
                    await Task.Delay(simulated, cancellationToken);

                    steps[i] = steps[i] with { State = StagingStepStates.Succeeded, FinishedAt = DateTimeOffset.UtcNow };
                    var lastReportSent = Stopwatch.GetTimestamp();
                    measured.Reports.Add((kind, StagingStepStates.Succeeded, await ReportAsync(session, steps, full: false)));
                    if (i == plan.Steps.Count - 1)
                        await WaitActiveAsync(enrolled.DeviceId, lastReportSent, measured);
                }
            }
            catch (Exception e) when (AgentFailures.IsRequestFailure(e, cancellationToken) || e is InvalidDataException or System.Text.Json.JsonException)
            {
                RecordError(serial, AgentFailures.Describe(e));
            }

            return measured;
        }

        private async Task<StagingPlan> PlanAsync(string deviceSecret)
        {
            using var message = new HttpRequestMessage(HttpMethod.Get, "api/v1/staging/plan");
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", deviceSecret);
            using var response = await http.SendAsync(message, cancellationToken);
            var body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
                throw new InvalidDataException($"GET /api/v1/staging/plan answered {(int)response.StatusCode}: {body}");
            return StagingPlanJson.DeserializeClear(body);
        }

        /// <summary>
        /// One step-reporting check-in; its latency in Stopwatch ticks. It holds the declarations token of the answer
        /// before, as an agent that applied what it was declared does (the appliance makes a device Active only then).
        /// </summary>
        private async Task<long> ReportAsync(Session session, StagingStepReport[] steps, bool full)
        {
            var staging = new StagingProgress
            {
                Plan = session.PlanName,
                PlanHash = session.PlanHash,
                Steps = [.. steps],
                CompletedSteps = steps.Count(s => string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal)),
                TotalSteps = steps.Length,
                CurrentStep = steps.FirstOrDefault(s => !string.Equals(s.State, StagingStepStates.Succeeded, StringComparison.Ordinal))?.StepId ?? "done",
            };
            var request = new CheckinRequest { DeclarationsToken = session.DeclarationsToken, Status = full ? FullStatus(staging) : new DeviceStatus { Staging = staging } };
            var t = Stopwatch.GetTimestamp();
            var answer = await api.CheckinAsync(session.DeviceSecret, request, cancellationToken);
            var latency = Stopwatch.GetTimestamp() - t;
            session.DeclarationsToken = answer.DeclarationsToken;
            return latency;
        }

        /// <summary>A device's credentials, its plan, and the declarations token it holds.</summary>
        private sealed class Session(string deviceSecret, string planName, string planHash)
        {
            public string DeviceSecret { get; } = deviceSecret;

            public string PlanName { get; } = planName;

            public string PlanHash { get; } = planHash;

            public string? DeclarationsToken { get; set; }
        }

        /// <summary>
        /// Reads the device's state from the appliance's database (read-only) right after the last report: Active then
        /// means the report itself made it Active. Otherwise waits for it, bounded; never Active is an error.
        /// </summary>
        private async Task WaitActiveAsync(string deviceId, long lastReportSent, StagedDevice measured)
        {
            var deadline = Stopwatch.GetTimestamp() + BenchProcesses.Ticks(ActiveLimit);
            for (var polls = 0; ; polls++)
            {
                var (state, findings) = EdgeFiles.DeviceState(dataDir, deviceId);
                if (string.Equals(state, "Active", StringComparison.OrdinalIgnoreCase))
                {
                    measured.ActiveOnLastReport = polls == 0;
                    measured.ReportToActiveTicks = Stopwatch.GetTimestamp() - lastReportSent;
                    return;
                }

                if (Stopwatch.GetTimestamp() > deadline)
                {
                    RecordError(measured.Serial, $"not Active {ActiveLimit.TotalSeconds:0} s after its last step report: state {state}, findings {findings}");
                    return;
                }

                await Task.Delay(50, cancellationToken);
            }
        }

        private void RecordError(string serial, string message)
        {
            var count = Interlocked.Increment(ref _errors);
            if (count <= LoggedErrors)
                log.WriteLine($"  staging: {serial}: {message}");
            else if (count == LoggedErrors + 1)
                log.WriteLine("  staging: more errors; counted, not shown");
        }
    }

    /// <summary>Exactly what the cart group's blueprint asks of a device (apps, OS, battery health), and the progress.</summary>
    private static DeviceStatus FullStatus(StagingProgress staging) => new()
    {
        Apps =
        [
            new InstalledApp { PackageName = "com.edgemdm.agent", VersionCode = 1, VersionName = "bench" },
            new InstalledApp { PackageName = ScannerPackage, VersionCode = 100, VersionName = "1.0.0" },
        ],
        Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2025, 9, 1) },
        Battery = new BatteryStatus { Level = 80, HealthPercent = 91, CycleCount = 12, Charging = true, Docked = true },
        Storage = new StorageStatus { FreeBytes = 61_203_000_000, TotalBytes = 118_111_600_640 },
        Staging = staging,
    };
}

/// <summary>What one device measured (Stopwatch ticks), filled in as it goes.</summary>
internal sealed class StagedDevice(string serial)
{
    public string Serial { get; } = serial;

    public long? EnrollTicks { get; set; }

    public long? PlanFetchTicks { get; set; }

    /// <summary>Every step-reporting check-in: the step's kind, the state reported, its latency.</summary>
    public List<(string Kind, string State, long Ticks)> Reports { get; } = [];

    /// <summary>Seconds this device slept for its steps' simulated work.</summary>
    public double SimulatedSeconds { get; set; }

    /// <summary>True when the device was Active as soon as its last step report was answered.</summary>
    public bool ActiveOnLastReport { get; set; }

    /// <summary>From sending the last step report to seeing the device Active; null if it never was.</summary>
    public long? ReportToActiveTicks { get; set; }
}

/// <param name="ApplianceCpuSeconds">CPU time the appliance process used over the whole batch.</param>
internal sealed record StagingResult(BenchOptions Options, IReadOnlyList<StagedDevice> Devices, TimeSpan Wall, double ApplianceCpuSeconds, long Errors);
