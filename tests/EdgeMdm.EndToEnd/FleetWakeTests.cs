using EdgeMdm.Agent;

namespace EdgeMdm.EndToEnd;

/// <summary>The fleet simulator's devices each hold a broker connection and check in at once when woken.</summary>
public sealed class FleetWakeTests
{
    [Fact]
    public async Task Simulated_devices_woken_by_queued_commands_carry_them_out_before_their_interval()
    {
        using var data = new TempDirectory();
        var mqttPort = ApplianceProcess.FreePort().ToString(CultureInfo.InvariantCulture);
        // A 10-minute interval: within this test a device checks in only at its jittered first slot or when woken.
        await using var appliance = await ApplianceProcess.StartAsync(data.Path, checkinIntervalSeconds: 600, extraArgs: ["--mqtt-listen", "127.0.0.1:" + mqttPort]);
        var simulation = new FleetSimulator(new SimulationOptions
        {
            Server = appliance.Url,
            TlsPin = appliance.Pin,
            EnrollmentToken = Processes.SeedToken,
            Devices = 20,
            // Long enough for enrollment plus 20 CLI processes on a loaded 2-core CI runner (a clean-clone run took over
            // 25 s sending them one after another, and once, with the browser tests beside it, 4 wakes came too late).
            Duration = TimeSpan.FromSeconds(60),
            SerialPrefix = "WAKE",
            SampleApp = null,
        });
        var running = simulation.RunAsync();

        var devices = await WaitForDevicesAsync(data.Path, 20);
        await Task.Delay(TimeSpan.FromSeconds(2));
        // Four CLI processes at a time: one after another, twenty of them took most of the devices' run on a loaded runner.
        await Parallel.ForEachAsync(devices, new ParallelOptions { MaxDegreeOfParallelism = 4 }, async (device, _) =>
            Assert.Equal(0, (await EdgeAsync(data.Path, "commands", "send", "--device", device, "ring")).ExitCode));
        var summary = await running;

        Assert.True(summary.CommandResults == 20, $"{summary.CommandResults} of 20 commands carried out; wakes {summary.Wakes}, woken check-ins {summary.WokenCheckins}");
        Assert.True(summary.Wakes >= 20, $"{summary.Wakes} wakes received");
        Assert.True(summary.WokenCheckins >= 20, $"{summary.WokenCheckins} woken check-ins");
    }

    private static Task<CommandResult> EdgeAsync(string dataDir, params string[] args) =>
        Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", dataDir], TimeSpan.FromSeconds(60));

    private static async Task<List<string>> WaitForDevicesAsync(string dataDir, int count)
    {
        for (var attempt = 0; attempt < 60; attempt++)
        {
            var listed = await EdgeAsync(dataDir, "devices", "list", "--json");
            using var json = System.Text.Json.JsonDocument.Parse(listed.Stdout);
            var ids = json.RootElement.EnumerateArray().Select(d => d.GetProperty("deviceId").GetString()!).ToList();
            if (ids.Count == count)
                return ids;
            await Task.Delay(250);
        }

        throw new TimeoutException($"{count} devices did not enroll");
    }
}
