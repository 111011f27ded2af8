using EdgeMdm.Agent;

namespace EdgeMdm.EndToEnd;

/// <summary>The appliance and the agent as real processes, the way `make run` runs them.</summary>
public sealed class FleetTests
{
    private static readonly string[] LiveStates = ["Staging", "Active"];

    private static async Task<JsonElement> DevicesAsync(string dataDir)
    {
        var list = await Processes.RunAsync(Processes.EdgeDll, ["devices", "list", "--json", "--data-dir", dataDir], TimeSpan.FromSeconds(60));
        Assert.Equal(0, list.ExitCode);
        using var document = JsonDocument.Parse(list.Stdout);
        return document.RootElement.Clone();
    }

    [Fact]
    public async Task Simulated_fleet_of_200_runs_20_seconds_without_an_error_and_every_checkin_is_stored()
    {
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path, checkinIntervalSeconds: 2);

        var simulation = await Processes.RunAsync(Processes.AgentDll,
            ["simulate", .. appliance.AgentArgs, "--token", Processes.SeedToken, "--devices", "200", "--duration", "20s", "--json"],
            TimeSpan.FromMinutes(2));

        Assert.True(simulation.ExitCode == 0, $"simulate exited {simulation.ExitCode}: {simulation.Stdout}\n{simulation.Stderr}\n{appliance.Log}");
        using var summary = JsonDocument.Parse(simulation.Stdout);
        Assert.Equal(200, summary.RootElement.GetProperty("enrolled").GetInt32());
        Assert.Equal(0, summary.RootElement.GetProperty("errors").GetInt32());
        var acknowledged = summary.RootElement.GetProperty("checkins").GetInt64();
        Assert.True(acknowledged >= 1000, $"only {acknowledged} check-ins in 20 s for 200 devices at a 2 s interval");

        // Stopped as systemd stops it: the check-ins that changed nothing but the time are written in batches, and at
        // the latest at the stop, so the directory's own reader counts them all from then on.
        await appliance.StopAsync();
        var devices = (await DevicesAsync(data.Path)).EnumerateArray().ToList();
        Assert.Equal(200, devices.Count);
        Assert.Equal(
            Enumerable.Range(1, 200).Select(i => "SIM" + i.ToString("D5", CultureInfo.InvariantCulture)),
            devices.Select(d => d.GetProperty("serial").GetString()));
        // Every check-in the agent saw acknowledged is stored, and none that it did not send.
        Assert.Equal(acknowledged, devices.Sum(d => d.GetProperty("checkins").GetInt64()));
        Assert.All(devices, d =>
        {
            Assert.True(d.GetProperty("checkins").GetInt64() >= 1);
            Assert.True(d.TryGetProperty("batteryLevel", out _), "battery reported");
            Assert.Contains(d.GetProperty("state").GetString(), LiveStates);
        });
        Assert.Contains(devices, d => string.Equals(d.GetProperty("state").GetString(), "Active", StringComparison.Ordinal));
        var drift = await Processes.RunAsync(Processes.EdgeDll, ["drift", "--json", "--data-dir", data.Path], TimeSpan.FromSeconds(60));
        using var driftJson = JsonDocument.Parse(drift.Stdout);
        Assert.Equal(200, driftJson.RootElement.GetProperty("devices").GetInt32());
    }

    [Fact]
    public async Task Checkins_acknowledged_before_a_SIGKILL_survive_the_restart()
    {
        using var data = new TempDirectory();
        var appliance = await ApplianceProcess.StartAsync(data.Path);
        using var http = appliance.CreateClient(TimeSpan.FromSeconds(5));
        var client = new DeviceApiClient(http);
        var devices = await Task.WhenAll(Enumerable.Range(0, 40).Select(i => client.EnrollAsync(new EnrollRequest
        {
            EnrollmentToken = Processes.SeedToken, Serial = $"KILL-{i:D2}", Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1",
        })));
        var acknowledgedCycles = new int[devices.Length];
        var acknowledgedCount = new int[devices.Length];
        var cutOff = 0;

        // Each device reports an increasing counter (battery cycle count) until the appliance dies under it.
        using var safety = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var load = devices.Select(async (device, i) =>
        {
            for (var cycles = 1; !safety.IsCancellationRequested; cycles++)
            {
                try
                {
                    await client.CheckinAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 50, CycleCount = cycles } } });
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException or DeviceApiException)
                {
                    Interlocked.Increment(ref cutOff);
                    return;
                }

                acknowledgedCycles[i] = cycles;
                acknowledgedCount[i]++;
            }
        }).ToList();
        await Task.Delay(1500);
        await appliance.KillAsync();
        await Task.WhenAll(load);
        await appliance.DisposeAsync();
        Assert.True(acknowledgedCount.Sum() > 0, "no check-in was acknowledged before the kill");
        Assert.Equal(devices.Length, cutOff);

        await using var restarted = await ApplianceProcess.StartAsync(data.Path);
        using var db = new SQLiteConnection(Path.Combine(data.Path, "edge.db"));
        var stored = db.Query<StoredDevice>("SELECT serial AS Serial, checkin_count AS Checkins, status AS Status FROM devices")
            .ToDictionary(d => d.Serial, StringComparer.Ordinal);

        for (var i = 0; i < devices.Length; i++)
        {
            var device = stored[$"KILL-{i:D2}"];
            // At most one more: a check-in committed whose answer the kill cut off.
            Assert.InRange(device.Checkins, acknowledgedCount[i], acknowledgedCount[i] + 1);
            var status = JsonSerializer.Deserialize(device.Status, DeviceProtocolJson.Default.DeviceStatus)!;
            Assert.InRange(status.Battery?.CycleCount ?? 0, acknowledgedCycles[i], acknowledgedCycles[i] + 1);
        }
    }
}

internal sealed class StoredDevice
{
    public string Serial { get; set; } = "";
    public long Checkins { get; set; }
    public string Status { get; set; } = "{}";
}
