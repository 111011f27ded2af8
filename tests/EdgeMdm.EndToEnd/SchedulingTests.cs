using EdgeMdm.Agent;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// How the running appliance asks the kernel to share its CPUs: the threads that answer devices on the shortest slice,
/// so that a check-in woken behind a package download gets a CPU at once (docs/architecture.md, "Sharing two cores").
/// The package copiers' long slice and lower priority: BackgroundPrioritySchedulerTests.
/// </summary>
public sealed class SchedulingTests
{
    private const long ResponsiveSlice = 100_000;

    [SkippableFact]
    public async Task The_appliance_answers_devices_on_short_slices()
    {
        Skip.IfNot(KernelThread.KeepsRequestedSlices, "this kernel keeps no slice a thread asks for (EEVDF custom slices: Linux 6.12 on)");
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);
        using var http = appliance.CreateClient(TimeSpan.FromSeconds(30));
        var client = new DeviceApiClient(http);
        var device = await client.EnrollAsync(new EnrollRequest
        {
            EnrollmentToken = Processes.SeedToken, Serial = "SLICE-1", Model = "TC52", Manufacturer = "Zebra", OsVersion = "14", AgentVersion = "1",
        });
        // A check-in goes through the request threads and the database writer, so both exist and have worked.
        await client.CheckinAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 80 } } });

        var writer = Assert.Single(KernelThread.Named(appliance.ProcessId, "edgemdm-db-writer"));
        var workers = KernelThread.Named(appliance.ProcessId, ".NET TP Worker");

        Assert.Equal(ResponsiveSlice, writer.Slice);
        Assert.NotEmpty(workers);
        Assert.All(workers, worker => Assert.Equal(ResponsiveSlice, worker.Slice));
    }
}
