using System.Text.Json;
using EdgeMdm.Agent.Cli;

namespace EdgeMdm.Agent.Tests;

public sealed class AgentCliTests : IAsyncLifetime, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-agent-cli-").FullName;
    private readonly StringWriter _stdout = new();
    private readonly StringWriter _stderr = new();
    private FakeAppliance _appliance = null!;

    private string Server => _appliance.BaseAddress.ToString();

    private string StatePath => Path.Combine(_directory, "agent-state.json");

    public async Task InitializeAsync() => _appliance = await FakeAppliance.StartAsync();

    public async Task DisposeAsync()
    {
        await _appliance.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    public void Dispose()
    {
        _stdout.Dispose();
        _stderr.Dispose();
    }

    [Theory]
    [InlineData("{\"android.app.extra.PROVISIONING_ADMIN_EXTRAS_BUNDLE\":{\"com.edgemdm.VERSION\":\"1\"}}", "the code has no com.edgemdm.URLS")]
    [InlineData("{\"com.edgemdm.VERSION\":\"9\"}", "the code is of version 9; this agent reads version 1")]
    [InlineData("{not json", "the code is not JSON")]
    public async Task Enroll_from_an_unreadable_code_fails_with_one_line_and_enrolls_nothing(string code, string reason)
    {
        var exitCode = await AgentCli.RunAsync(["enroll", "--qr", code, "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("edgemdm-agent: enroll failed: the staging code cannot be read: " + reason, _stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(_stderr.ToString().TrimEnd().Split('\n'));
        Assert.False(File.Exists(StatePath));
    }

    [Theory]
    [InlineData(new[] { "enroll", "--server", "http://127.0.0.1:8080" }, "edgemdm-agent: option '--token' is required")]
    [InlineData(new[] { "enroll", "--qr", "code.json", "--token", "t" }, "edgemdm-agent: --qr gives the server, the token and the pin: pass none of --server, --token, --pin with it")]
    [InlineData(new[] { "simulate", "--token", "t", "--devices", "2", "--duration", "1s" }, "edgemdm-agent: option '--server' is required")]
    [InlineData(new[] { "simulate", "--staging-batch", "b", "--server", "http://x", "--duration", "1s" }, "edgemdm-agent: --staging-batch gives the server, the token and the pin: pass none of --server, --token, --pin with it")]
    [InlineData(new[] { "simulate", "--server", "http://x", "--token", "t", "--devices", "2", "--duration", "soon" }, "edgemdm-agent: invalid --duration 'soon': expected a positive duration such as 500ms, 20s, 5m or 1h")]
    [InlineData(new[] { "simulate", "--server", "http://x", "--token", "t", "--devices", "0", "--duration", "1s" }, "edgemdm-agent: invalid --devices '0': expected a whole number of at least 1")]
    [InlineData(new[] { "enroll", "--server", "https://x", "--pin", "abc", "--token", "t" }, "edgemdm-agent: invalid --pin 'abc': expected 64 hex digits (the SHA-256 'edgemdm-edge tls show' prints)")]
    [InlineData(new[] { "enroll", "--server", "not a url", "--token", "t" }, "edgemdm-agent: invalid --server 'not a url': expected an absolute http:// or https:// URL")]
    [InlineData(new[] { "simulate", "--server", "http://x", "--token", "t", "--devices", "2", "--duration", "1s", "--storage-full", "2" }, "edgemdm-agent: invalid --storage-full '2': expected a share between 0 and 1 (0.1) or a percentage (10%)")]
    [InlineData(new[] { "simulate", "--server", "http://x", "--token", "t", "--devices", "2", "--duration", "1s", "--wifi-fail", "150%" }, "edgemdm-agent: invalid --wifi-fail '150%': expected a share between 0 and 1 (0.1) or a percentage (10%)")]
    [InlineData(new[] { "simulate", "--server", "http://x", "--token", "t", "--devices", "2", "--duration", "1s", "--staging-time-scale", "0" }, "edgemdm-agent: --staging-time-scale must be above 0 and at most 100")]
    [InlineData(new[] { "simulate", "--server", "http://x", "--token", "t", "--devices", "2", "--duration", "1s", "--sample-app", "scanner" }, "edgemdm-agent: invalid --sample-app 'scanner': expected PACKAGE:VERSIONCODE:VERSIONNAME (com.acme.scan:100:1.0.0) or none")]
    [InlineData(new[] { "frobnicate" }, "edgemdm-agent: unrecognized command or argument 'frobnicate' (see edgemdm-agent --help)")]
    [InlineData(new string[0], "edgemdm-agent: missing command: enroll, run or simulate (see edgemdm-agent --help)")]
    public async Task Usage_error_is_one_line_and_exit_code_2(string[] args, string expected)
    {
        var exitCode = await AgentCli.RunAsync(args, _stdout, _stderr);

        Assert.Equal(2, exitCode);
        Assert.Equal(expected + Environment.NewLine, _stderr.ToString());
        Assert.Equal("", _stdout.ToString());
    }

    [Fact]
    public async Task Enroll_saves_the_credentials_and_prints_the_device_id()
    {
        var exitCode = await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "TC52-0042", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(0, exitCode);
        Assert.Equal("dev-TC52-0042" + Environment.NewLine, _stdout.ToString());
        var saved = await DeviceCredentialsFile.LoadAsync(StatePath);
        Assert.Equal(new DeviceCredentials(Server, "dev-TC52-0042", "secret-TC52-0042", "TC52-0042", null) { TlsSpkiSha256 = _appliance.Pin }, saved);
    }

    [Fact]
    public async Task Enroll_refuses_a_certificate_with_another_pin_and_saves_nothing()
    {
        var other = new string('a', 64);

        var exitCode = await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", other, "--token", "enroll-token", "--serial", "TC52-0043", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            $"edgemdm-agent: enroll failed: cannot reach the appliance at {Server}: TLS refused: the appliance's certificate has key pin {_appliance.Pin}, not the pinned {other} "
            + "(not the appliance this device was given; check --pin against 'edgemdm-edge tls show')" + Environment.NewLine,
            _stderr.ToString());
        Assert.False(File.Exists(StatePath));
        Assert.Empty(_appliance.EnrolledSerials);
    }

    [Fact]
    public async Task Enroll_without_a_pin_validates_as_the_system_does_and_suggests_the_pin()
    {
        var exitCode = await AgentCli.RunAsync(["enroll", "--server", Server, "--token", "enroll-token", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        var line = Assert.Single(_stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("TLS refused: The remote certificate is invalid", line, StringComparison.Ordinal);
        Assert.Contains("trusted with --pin HEX, printed by 'edgemdm-edge tls show'", line, StringComparison.Ordinal);
        Assert.False(File.Exists(StatePath));
    }

    [Fact]
    public async Task Run_with_another_pin_never_talks_to_the_appliance_and_leaves_the_state_file_as_it_was()
    {
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-1", "--state", StatePath], _stdout, _stderr);
        var before = await File.ReadAllBytesAsync(StatePath);
        var checkins = _appliance.CheckinCount;
        using var stop = new CancellationTokenSource();

        var run = AgentCli.RunAsync(["run", "--state", StatePath, "--pin", new string('b', 64)], _stdout, _stderr, stop.Token);
        await WaitUntilAsync(() => _stderr.ToString().Contains("checkin failed: TLS refused", StringComparison.Ordinal));
        await stop.CancelAsync();
        await run;

        Assert.Equal(checkins, _appliance.CheckinCount);
        Assert.Equal(before, await File.ReadAllBytesAsync(StatePath));
    }

    [Fact]
    public async Task A_pin_given_to_run_is_kept_for_later_runs()
    {
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-2", "--state", StatePath], _stdout, _stderr);
        var enrolled = await DeviceCredentialsFile.LoadAsync(StatePath);
        await DeviceCredentialsFile.SaveAsync(StatePath, enrolled with { TlsSpkiSha256 = null });
        using var stop = new CancellationTokenSource();

        var run = AgentCli.RunAsync(["run", "--state", StatePath, "--pin", _appliance.Pin.ToUpperInvariant()], _stdout, _stderr, stop.Token);
        await WaitUntilAsync(() => File.ReadAllText(StatePath).Contains(_appliance.Pin, StringComparison.Ordinal));
        await stop.CancelAsync();
        await run;

        Assert.Equal(_appliance.Pin, (await DeviceCredentialsFile.LoadAsync(StatePath)).TlsSpkiSha256);
    }

    [Fact]
    public async Task Enroll_with_a_refused_token_is_one_line_and_exit_code_1()
    {
        var exitCode = await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "used-up", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        Assert.Equal(
            "edgemdm-agent: enroll failed: 403 Enrollment token refused: the token is unknown, expired or used up" + Environment.NewLine,
            _stderr.ToString());
        Assert.False(File.Exists(StatePath));
    }

    [Fact]
    public async Task Enroll_against_an_unreachable_appliance_is_one_line_and_exit_code_1()
    {
        var exitCode = await AgentCli.RunAsync(["enroll", "--server", "http://127.0.0.1:1", "--token", "t", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("edgemdm-agent: enroll failed: cannot reach the appliance at http://127.0.0.1:1/", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(_stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public async Task Run_checks_in_until_cancelled_and_saves_the_declarations_token()
    {
        _appliance.Declarations = TestData.FloorDeclarations();
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-7", "--state", StatePath], _stdout, _stderr);
        using var stop = new CancellationTokenSource();

        var run = AgentCli.RunAsync(["run", "--state", StatePath], _stdout, _stderr, stop.Token);

        // The token is saved (atomically: safe to read meanwhile) right after the check-in is logged.
        await WaitUntilAsync(() => File.ReadAllText(StatePath).Contains(_appliance.Declarations.Token, StringComparison.Ordinal));
        await stop.CancelAsync();
        var exitCode = await run;

        Assert.Equal(0, exitCode);
        Assert.Contains("checkin ok", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("(new declarations)", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Equal(_appliance.Declarations.Token, (await DeviceCredentialsFile.LoadAsync(StatePath)).DeclarationsToken);
    }

    [Fact]
    public async Task Run_performs_the_staging_plan_keeps_only_its_hash_and_never_logs_its_secret()
    {
        _appliance.StagingPlan = new EdgeMdm.Domain.Staging.StagingPlan("quick", [
            new EdgeMdm.Domain.Staging.EnrollStep(),
            new EdgeMdm.Domain.Staging.SettingsStep(new Dictionary<string, string>(StringComparer.Ordinal) { ["screen.timeoutSeconds"] = "300" }),
            new EdgeMdm.Domain.Staging.VerifyStep(),
        ]);
        var withSecret = _appliance.StagingPlan with { Steps = [.. _appliance.StagingPlan.Steps, new EdgeMdm.Domain.Staging.WifiStep("dc-floor", "wpa2-psk", new EdgeMdm.Domain.Staging.Secret(VirtualDeviceStagingTests.Psk))] };
        _appliance.StagingPlan = withSecret;
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-8", "--state", StatePath], _stdout, _stderr);
        using var stop = new CancellationTokenSource();

        var run = AgentCli.RunAsync(["run", "--state", StatePath], _stdout, _stderr, stop.Token);
        // Realistic step times (the Wi-Fi step takes 3-8 s); the device checks in as each step changes, not every 60 s.
        await WaitUntilAsync(
            () => File.ReadAllText(StatePath).Contains(withSecret.ContentHash(), StringComparison.Ordinal)
                && _appliance.Statuses.Values.SingleOrDefault()?.Staging?.CompletedSteps == 4,
            TimeSpan.FromSeconds(30),
            () => _stderr.ToString());
        await stop.CancelAsync();
        await run;

        Assert.Contains("(staging plan quick)", _stderr.ToString(), StringComparison.Ordinal);
        var last = _appliance.Statuses.Values.Single().Staging!;
        Assert.Equal(["enroll", "settings", "verify", "wifi"], last.Steps!.Select(step => step.StepId));
        Assert.All(last.Steps!, step => Assert.Equal(StagingStepStates.Succeeded, step.State));
        Assert.DoesNotContain(VirtualDeviceStagingTests.Psk, _stderr.ToString() + _stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(VirtualDeviceStagingTests.Psk, await File.ReadAllTextAsync(StatePath), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_its_wake_broker_down_still_checks_in_on_its_interval()
    {
        _appliance.CheckinIntervalSeconds = 1;
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-5", "--state", StatePath], _stdout, _stderr);
        using var stop = new CancellationTokenSource();

        // Nothing listens on port 1: the broker is down for the whole run.
        var run = AgentCli.RunAsync(["run", "--state", StatePath, "--mqtt", "mqtt://127.0.0.1:1"], _stdout, _stderr, stop.Token);

        await WaitUntilAsync(() => CountOf(_stderr.ToString(), "checkin ok") >= 3);
        await stop.CancelAsync();
        Assert.Equal(0, await run);
        Assert.Contains("no wake connection to 127.0.0.1:1", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("woken through mqtt://127.0.0.1:1/", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_with_a_bad_mqtt_url_is_a_usage_error()
    {
        var exitCode = await AgentCli.RunAsync(["run", "--state", StatePath, "--mqtt", "http://broker:1883"], _stdout, _stderr);

        Assert.Equal(2, exitCode);
        Assert.Equal("edgemdm-agent: invalid --mqtt 'http://broker:1883': expected mqtts://HOST:PORT, mqtt://HOST:PORT or none" + Environment.NewLine, _stderr.ToString());
    }

    private static int CountOf(string text, string part) => (text.Length - text.Replace(part, "", StringComparison.Ordinal).Length) / part.Length;

    [Fact]
    public async Task Run_installs_a_package_with_the_key_pinned_at_enrollment_and_keeps_it_across_a_restart()
    {
        using var signer = Domain.Packages.ManifestSigner.CreateNew();
        var package = TestPackage.Create(signer, minOsVersion: null);
        _appliance.PackageSigningKey = signer.PublicKeyPem;
        _appliance.Packages[package.Sha256] = package.Bytes;
        _appliance.Declarations = package.Declarations(signer.PublicKeyPem);
        _appliance.CheckinIntervalSeconds = 1;
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-9", "--state", StatePath], _stdout, _stderr);
        var pinned = (await DeviceCredentialsFile.LoadAsync(StatePath)).PackageSigningKey;

        using (var stop = new CancellationTokenSource())
        {
            var run = AgentCli.RunAsync(["run", "--state", StatePath], _stdout, _stderr, stop.Token);
            await WaitUntilAsync(() => File.ReadAllText(StatePath).Contains("\"com.acme.scan\"", StringComparison.Ordinal));
            await stop.CancelAsync();
            Assert.Equal(0, await run);
        }

        var checkinsBeforeRestart = _appliance.CheckinCount;
        using (var stop = new CancellationTokenSource())
        {
            var restarted = AgentCli.RunAsync(["run", "--state", StatePath], _stdout, _stderr, stop.Token);
            await WaitUntilAsync(() => _appliance.CheckinCount > checkinsBeforeRestart + 1);
            await stop.CancelAsync();
            Assert.Equal(0, await restarted);
        }

        var state = await DeviceCredentialsFile.LoadAsync(StatePath);
        Assert.Equal(signer.PublicKeyPem, pinned);
        Assert.Equal(pinned, state.PackageSigningKey);
        var installed = Assert.Single(state.InstalledPackages!);
        Assert.Equal(("com.acme.scan", 200L), (installed.PackageName, installed.VersionCode!.Value));
        Assert.Contains($"package com.acme.scan (200) installed after downloading {package.Bytes.Length} bytes", _stderr.ToString(), StringComparison.Ordinal);
        Assert.Single(_appliance.PackageRequests); // the restarted agent still runs it: nothing to fetch again
        Assert.Contains(_appliance.Statuses["dev-CT40-9"].Apps!, a => a is { PackageName: "com.acme.scan", VersionCode: 200 });
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(_directory, "packages"))); // installed files give their space back
    }

    [Fact]
    public async Task Run_of_a_retired_device_stops_with_exit_code_1()
    {
        await AgentCli.RunAsync(["enroll", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--serial", "CT40-8", "--state", StatePath], _stdout, _stderr);
        _appliance.RetiredSecrets["secret-CT40-8"] = true;

        var exitCode = await AgentCli.RunAsync(["run", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        Assert.EndsWith(
            "edgemdm-agent: the appliance refused this device: 403 Device retired: this device was retired and may not check in" + Environment.NewLine,
            _stderr.ToString(),
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Run_without_state_tells_to_enroll_first()
    {
        var exitCode = await AgentCli.RunAsync(["run", "--state", StatePath], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        Assert.StartsWith("edgemdm-agent: no device state at", _stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Simulate_prints_one_summary_line()
    {
        var exitCode = await AgentCli.RunAsync(["simulate", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--devices", "3", "--duration", "500ms", "--interval", "100ms"], _stdout, _stderr);

        Assert.Equal(0, exitCode);
        var line = Assert.Single(_stdout.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries));
        Assert.Matches(@"^enrolled=3 checkins=\d+ errors=0 p50=\d+\.\dms p99=\d+\.\dms installs=0 install_failures=0$", line);
    }

    [Fact]
    public async Task Simulate_with_no_sample_app_runs_a_fleet_that_comes_with_nothing_installed()
    {
        var exitCode = await AgentCli.RunAsync(
            ["simulate", "--server", Server, "--pin", _appliance.Pin, "--token", "enroll-token", "--devices", "2", "--duration", "300ms", "--interval", "100ms", "--sample-app", "none"], _stdout, _stderr);

        Assert.Equal(0, exitCode);
        Assert.StartsWith("enrolled=2 ", _stdout.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("exception", _stderr.ToString(), StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Simulate_with_json_prints_a_json_object_and_exits_1_on_errors()
    {
        var exitCode = await AgentCli.RunAsync(["simulate", "--server", Server, "--pin", _appliance.Pin, "--token", "wrong", "--devices", "2", "--duration", "1s", "--json"], _stdout, _stderr);

        Assert.Equal(1, exitCode);
        using var json = JsonDocument.Parse(_stdout.ToString());
        Assert.Equal(0, json.RootElement.GetProperty("enrolled").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("errors").GetInt64());
        Assert.Equal(2, json.RootElement.GetProperty("errorsByKind").GetProperty("enroll:403").GetInt64());
    }

    private static Task WaitUntilAsync(Func<bool> condition) => WaitUntilAsync(condition, TimeSpan.FromSeconds(5));

    /// <param name="explain">What the failure message shows, e.g. the agent's log so far.</param>
    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan limit, Func<string>? explain = null)
    {
        var deadline = DateTimeOffset.UtcNow + limit;
        while (!condition() && DateTimeOffset.UtcNow < deadline)
            await Task.Delay(10);
        Assert.True(condition(), explain?.Invoke());
    }
}
