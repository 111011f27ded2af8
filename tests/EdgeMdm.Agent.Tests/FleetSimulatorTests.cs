namespace EdgeMdm.Agent.Tests;

public sealed class FleetSimulatorTests : IAsyncLifetime
{
    private FakeAppliance _appliance = null!;

    public async Task InitializeAsync() => _appliance = await FakeAppliance.StartAsync();

    public async Task DisposeAsync() => await _appliance.DisposeAsync();

    [Fact]
    public async Task Simulation_enrolls_every_device_and_checks_in_without_errors()
    {
        var log = new StringWriter();
        var simulator = new FleetSimulator(Options(devices: 5, TimeSpan.FromMilliseconds(1000)), log);

        var summary = await simulator.RunAsync();

        Assert.Equal(5, summary.Enrolled);
        Assert.Equal(0, summary.Errors);
        Assert.Empty(summary.ErrorsByKind);
        Assert.InRange(summary.Checkins, 5, 50); // at most 10 slots a device; loose below: a cold start eats into the second
        Assert.Equal(summary.Checkins, _appliance.CheckinCount);
        Assert.True(summary.P50 > TimeSpan.Zero);
        Assert.True(summary.P99 >= summary.P50);
        Assert.Equal(5, _appliance.Statuses.Count);
        Assert.Equal("", log.ToString());
    }

    [Fact]
    public async Task Rerun_enrolls_the_same_serials_again()
    {
        await new FleetSimulator(Options(devices: 3, TimeSpan.FromMilliseconds(100)) with { SerialPrefix = "DC7-" }).RunAsync();
        await new FleetSimulator(Options(devices: 3, TimeSpan.FromMilliseconds(100)) with { SerialPrefix = "DC7-" }).RunAsync();

        Assert.Equal(
            ["DC7-00001", "DC7-00001", "DC7-00002", "DC7-00002", "DC7-00003", "DC7-00003"],
            _appliance.EnrolledSerials.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Refused_enrollment_counts_one_error_per_device_and_logs_the_reason()
    {
        var log = new StringWriter();
        var options = Options(devices: 3, TimeSpan.FromSeconds(30)) with { EnrollmentToken = "used-up" };

        var summary = await new FleetSimulator(options, log).RunAsync(); // 4xx: devices give up, the run ends early

        Assert.Equal(0, summary.Enrolled);
        Assert.Equal(3, summary.Errors);
        Assert.Equal(3, summary.ErrorsByKind["enroll:403"]);
        Assert.Contains("SIM00001 enroll failed: 403 Enrollment token refused", log.ToString(), StringComparison.Ordinal);
        Assert.True(summary.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Enrollment_refused_for_now_is_retried_with_backoff()
    {
        _appliance.FailEnrollments = 1;
        var log = new StringWriter();

        var summary = await new FleetSimulator(Options(devices: 1, TimeSpan.FromSeconds(3)), log).RunAsync(); // the first wait is under 1.5 s

        Assert.Equal(1, summary.Enrolled);
        Assert.Equal(1, summary.ErrorsByKind["enroll:503"]);
        Assert.Contains("SIM00001 enroll failed: 503 Busy", log.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Failed_checkins_are_counted_by_kind()
    {
        _appliance.FailCheckins = 2;
        var log = new StringWriter();

        var summary = await new FleetSimulator(Options(devices: 2, TimeSpan.FromMilliseconds(1500)), log).RunAsync();

        Assert.Equal(2, summary.Errors);
        Assert.Equal(2, summary.ErrorsByKind["checkin:503"]);
        Assert.Equal(2, log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public async Task Cancellation_stops_the_run_and_still_gives_a_summary()
    {
        using var cancel = new CancellationTokenSource();

        var run = new FleetSimulator(Options(devices: 3, TimeSpan.FromMinutes(5))).RunAsync(cancel.Token);
        for (var i = 0; i < 500 && _appliance.Statuses.Count < 3; i++)
            await Task.Delay(10);
        await cancel.CancelAsync();
        var summary = await run;

        Assert.Equal(3, summary.Enrolled);
        Assert.Equal(0, summary.Errors);
        Assert.True(summary.Elapsed < TimeSpan.FromSeconds(10));
    }

    [Fact]
    public void Percentiles_are_exact_nearest_rank()
    {
        var samples = Enumerable.Range(1, 100).Select(i => TimeSpan.FromMilliseconds(i)).ToList();

        Assert.Equal(TimeSpan.FromMilliseconds(50), SimulationSummary.Percentile(samples, 0.50));
        Assert.Equal(TimeSpan.FromMilliseconds(99), SimulationSummary.Percentile(samples, 0.99));
        Assert.Equal(TimeSpan.FromMilliseconds(7), SimulationSummary.Percentile([TimeSpan.FromMilliseconds(7)], 0.99));
        Assert.Equal(TimeSpan.Zero, SimulationSummary.Percentile([], 0.5));
    }

    [Fact]
    public void Summary_line_has_the_agreed_shape()
    {
        var summary = new SimulationSummary
        {
            Devices = 200, Enrolled = 200, Checkins = 4012, Errors = 0,
            P50 = TimeSpan.FromMilliseconds(1.83), P99 = TimeSpan.FromMilliseconds(9.4),
            ErrorsByKind = new Dictionary<string, long>(StringComparer.Ordinal),
        };
        var withFailures = summary with
        {
            Installs = 180,
            InstallFailuresByReason = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["storage_full"] = 8, ["incompatible"] = 12 },
        };

        Assert.Equal("enrolled=200 checkins=4012 errors=0 p50=1.8ms p99=9.4ms installs=0 install_failures=0", summary.ToSummaryLine());
        Assert.Equal("enrolled=200 checkins=4012 errors=0 p50=1.8ms p99=9.4ms installs=180 install_failures=incompatible:12,storage_full:8", withFailures.ToSummaryLine());
    }

    [Fact]
    public void Invalid_options_are_refused()
    {
        Assert.Throws<ArgumentException>(() => new FleetSimulator(Options(devices: 0, TimeSpan.FromSeconds(1))));
        Assert.Throws<ArgumentException>(() => new FleetSimulator(Options(devices: 1, TimeSpan.Zero)));
    }

    private SimulationOptions Options(int devices, TimeSpan duration) => new()
    {
        Server = _appliance.BaseAddress,
        TlsPin = _appliance.Pin,
        EnrollmentToken = "enroll-token",
        Devices = devices,
        Duration = duration,
        IntervalOverride = TimeSpan.FromMilliseconds(100),
        Seed = 3,
    };
}
