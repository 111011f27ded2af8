using System.Text;
using EdgeMdm.Agent;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// Issue 24's morning at a site: a cart of 50 devices staged from a batch's sheet over pinned https, with the hub down the
/// whole time; five Wi-Fi failures stay stuck at that step with their reason until an operator retries them; then the hub
/// comes back and gets every staging event once.
/// </summary>
public sealed class StagingCartTests
{
    private const int Cart = 50;
    private const int WifiFailures = 5;
    private const string Psk = "Cart-Floor-PSK-7c41e2b9";
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task A_cart_of_50_stages_from_its_sheet_with_the_hub_down_and_the_hub_then_gets_every_step_event_once()
    {
        // Arrange: the site exists at the hub, and the hub stops before the appliance ever starts
        using var data = new TempDirectory();
        var (hubDirectory, edgeDirectory) = (Path.Combine(data.Path, "hub"), Path.Combine(data.Path, "edge"));
        string siteId, credential;
        Uri restUrl, grpcUrl;
        await using (var hub = await HubProcess.StartAsync(hubDirectory))
        {
            (siteId, credential) = await hub.AddSiteAsync("DC Cart");
            (restUrl, grpcUrl) = (hub.RestUrl, hub.GrpcUrl);
        }

        var seedFile = Path.Combine(data.Path, "cart-seed.yaml");
        await File.WriteAllTextAsync(seedFile, Seed(siteId));
        await using var appliance = await ApplianceProcess.StartAsync(edgeDirectory, hub: (grpcUrl, credential), seed: false, extraArgs: ["--seed", seedFile]);
        var created = await EdgeAsync(edgeDirectory, "staging", "batch", "create", "--group", "pickers", "--count", Cart.ToString(CultureInfo.InvariantCulture), "--expires", "2h");
        Assert.True(created.ExitCode == 0, created.Stderr);
        var batchDirectory = Path.GetDirectoryName(created.Stdout.Trim())!;
        var batchId = Path.GetFileName(batchDirectory);

        // Act 1 and 2, asserting as they go: the cart staged, the five stuck ones retried
        await StageTheCartAsync(edgeDirectory, batchDirectory, batchId);

        // Assert: the plan's secret is nowhere the site keeps or prints things
        await AssertNoSecretAsync(appliance, edgeDirectory);

        // Act 3: the hub comes back on its addresses and the site catches up
        var events = StagingEventsWaiting(edgeDirectory);
        Assert.True(events >= Cart * 7, $"only {events} staging step events waited for the hub");
        await using var back = await HubProcess.StartAsync(hubDirectory, restUrl, grpcUrl);
        await SyncLedger.WaitConvergedAsync(edgeDirectory, back, siteId, Limit);

        // Assert 3: every step event once, the batch and its members, and the devices as the site has them
        using var db = new SQLiteConnection(SyncLedger.HubDatabase(hubDirectory));
        Assert.Equal(events, db.ExecuteScalar<long>("SELECT count(*) FROM staging_step_reports WHERE site_id = ?", siteId));
        Assert.Equal(Cart, db.ExecuteScalar<long>("SELECT count(DISTINCT device_id) FROM staging_step_reports WHERE site_id = ? AND step_id = 'verify' AND state = 'succeeded'", siteId));
        Assert.Equal(1L, db.ExecuteScalar<long>("SELECT count(*) FROM staging_batches WHERE site_id = ? AND batch_id = ?", siteId, batchId));
        Assert.Equal(Cart, db.ExecuteScalar<long>("SELECT count(*) FROM devices WHERE site_id = ? AND staging_batch_id = ? AND state = 'Active'", siteId, batchId));
        SyncLedger.AssertHubMatchesSite(edgeDirectory, hubDirectory, siteId);
    }

    /// <summary>Every device enrolls from its own slot's code and runs the plan; the stuck ones are retried by the operator.</summary>
    private static async Task StageTheCartAsync(string edgeDirectory, string batchDirectory, string batchId)
    {
        var (seed, expectedStuck) = SeedWithWifiFailures();
        using var simulation = Processes.Start(Processes.AgentDll,
        [
            "simulate", "--staging-batch", batchDirectory, "--duration", "300s", "--interval", "2s", "--mqtt", "none",
            "--seed", seed.ToString(CultureInfo.InvariantCulture), "--wifi-fail", "0.1", "--staging-time-scale", "0.05",
        ]);
        try
        {
            var first = await WaitStatusAsync(edgeDirectory, batchId, s => Count(s, "done") + Count(s, "stuck") == Cart && Count(s, "in progress") == 0);

            // Assert 1: exactly the injected five are stuck at wifi with the device's reason; the 45 others are Active
            var stuck = Devices(first).Where(d => Is(d.Outcome, "stuck")).ToList();
            Assert.Equal(expectedStuck, stuck.Select(d => d.Serial).Order(StringComparer.Ordinal));
            Assert.All(stuck, d => Assert.Equal(("wifi", "wifi: association with SSID dc-floor timed out (WPA2-PSK)", "Staging"), (d.Step, d.Reason, d.State)));
            Assert.All(Devices(first).Where(d => Is(d.Outcome, "done")), d => Assert.Equal("Active", d.State));

            // Act 2: the operator asks each stuck device to run its Wi-Fi step again
            foreach (var device in stuck)
            {
                var retried = await EdgeAsync(edgeDirectory, "staging", "retry", device.DeviceId, "--step", "wifi");
                Assert.True(retried.ExitCode == 0, retried.Stderr);
            }

            var second = await WaitStatusAsync(edgeDirectory, batchId, s => Count(s, "done") == Cart && Devices(s).All(d => Is(d.State, "Active")));
            Assert.Equal(Cart, Devices(second).Count);
        }
        finally
        {
            simulation.Kill(entireProcessTree: true);
            await simulation.WaitForExitAsync();
        }
    }

    private static async Task AssertNoSecretAsync(ApplianceProcess appliance, string edgeDirectory)
    {
        var plans = await EdgeAsync(edgeDirectory, "staging", "plans", "--json");
        Assert.True(plans.ExitCode == 0, plans.Stderr);
        Assert.Contains("scanner-standard", plans.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Psk, plans.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(Psk, appliance.Log, StringComparison.Ordinal);
        foreach (var file in Directory.EnumerateFiles(edgeDirectory, "edge.db*"))
            Assert.False(ContainsText(file, Psk), $"{file} holds the plan's secret in clear");
    }

    /// <summary>
    /// A simulator seed under which exactly five of the cart fail their Wi-Fi step at a share of 0.1, and their serials
    /// (the simulator's own choice, <see cref="FleetSimulator.FaultsOf"/>, so the test names the devices it expects stuck).
    /// </summary>
    private static (int Seed, List<string> Serials) SeedWithWifiFailures()
    {
        for (var seed = 1; ; seed++)
        {
            var options = new SimulationOptions { Server = new Uri("https://appliance.invalid/"), EnrollmentToken = "-", Seed = seed, WifiFailFraction = 0.1 };
            var failing = Enumerable.Range(1, Cart).Where(i => FleetSimulator.FaultsOf(options, i).WifiFails).ToList();
            if (failing.Count == WifiFailures)
                return (seed, failing.Select(i => FleetSimulator.SerialOf(options, i)).Order(StringComparer.Ordinal).ToList());
        }
    }

    /// <summary>The site's own seed: its id as the hub knows it, the pickers group (no OS or battery floor: what drifts is what staging does) naming a 7-step plan.</summary>
    private static string Seed(string siteId) => $"""
        site:
          id: {siteId}
          name: DC Cart
        stagingPlans:
          - name: scanner-standard
            steps:
              - kind: enroll
              - kind: managedConfig
                packageName: com.zebra.oemconfig.common
                values: {"{"} scanner.decoders.qr: "true" {"}"}
              - kind: installApps
              - kind: wifi
                ssid: dc-floor
                security: wpa2-psk
                psk: {Psk}
              - {"{"} kind: pairPeripheral, peripheral: ring-scanner, addressPattern: "00:1B:*" {"}"}
              - {"{"} kind: settings, values: {"{"} screen.timeoutSeconds: "300" {"}"} {"}"}
              - kind: verify
        blueprints:
          - group: pickers
            stagingPlan: scanner-standard
            apps:
              - packageName: com.edgemdm.sample.scanner
                versionCode: 100
                versionName: 1.0.0
        """;

    private static Task<CommandResult> EdgeAsync(string dataDirectory, params string[] args) =>
        Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", dataDirectory], TimeSpan.FromSeconds(60));

    private static async Task<JsonElement> WaitStatusAsync(string dataDirectory, string batchId, Func<JsonElement, bool> reached)
    {
        var deadline = DateTime.UtcNow + Limit;
        while (true)
        {
            var status = await EdgeAsync(dataDirectory, "staging", "status", batchId, "--json");
            Assert.True(status.ExitCode == 0, status.Stderr);
            var report = JsonDocument.Parse(status.Stdout).RootElement.Clone();
            if (reached(report))
                return report;
            Assert.True(DateTime.UtcNow < deadline, "staging did not get there: " + status.Stdout);
            await Task.Delay(1000);
        }
    }

    private static bool Is(string actual, string expected) => string.Equals(actual, expected, StringComparison.Ordinal);

    private static int Count(JsonElement report, string outcome) => Devices(report).Count(d => Is(d.Outcome, outcome));

    private static List<CartDevice> Devices(JsonElement report) =>
    [
        .. report.GetProperty("devices").EnumerateArray().Select(d => new CartDevice(
            d.GetProperty("deviceId").GetString()!,
            d.GetProperty("serial").GetString()!,
            d.GetProperty("deviceState").GetString()!,
            d.GetProperty("outcome").GetString()!,
            d.TryGetProperty("currentStep", out var step) ? step.GetString() : null,
            d.TryGetProperty("reason", out var reason) ? reason.GetString() : null)),
    ];

    /// <summary>Staging step events in the site's outbox: what the hub has not acknowledged (all of them, with the hub down).</summary>
    private static long StagingEventsWaiting(string edgeDirectory)
    {
        using var db = new SQLiteConnection(SyncLedger.EdgeDatabase(edgeDirectory), SQLiteOpenFlags.ReadOnly);
        return db.ExecuteScalar<long>("SELECT count(*) FROM outbox WHERE kind = 'staging_step_reported'");
    }

    private static bool ContainsText(string file, string text)
    {
        using var stream = new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray().AsSpan().IndexOf(Encoding.UTF8.GetBytes(text)) >= 0;
    }

    private sealed record CartDevice(string DeviceId, string Serial, string State, string Outcome, string? Step, string? Reason);
}
