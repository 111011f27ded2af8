using System.Text.Json;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// <c>edgemdm-edge devices list|show</c> and <c>drift</c> as the operator runs them (the program's own entry) against a
/// running appliance's data directory. Shares the console collection with <see cref="CustodyCliTests"/>.
/// </summary>
[Collection(CustodyCliTests.Name)]
public sealed class DevicesCliTests : IAsyncLifetime
{
    private EdgeServer _server = null!;

    public async Task InitializeAsync() => _server = await EdgeServer.StartAsync();

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<(int Exit, string[] Out)> EdgeAsync(params string[] args)
    {
        var (exit, output, _) = await OperatorCli.RunAsync(_server, args);
        return (exit, output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.TrimEnd()).ToArray());
    }

    [Fact]
    public async Task A_just_enrolled_device_is_unknown_and_show_prints_what_a_device_reports()
    {
        // Arrange: SN-1 reports (docked in C1 slot 2, scanner 0.9.0), SN-2 has only enrolled; the CLI reads the real clock,
        // so the appliance's is set to it (a day behind, both would read stale)
        if (DateTimeOffset.UtcNow > _server.Clock.GetUtcNow())
            _server.Clock.SetUtcNow(DateTimeOffset.UtcNow);
        var reporting = await _server.EnrollAsync("SN-1");
        await _server.EnrollAsync("SN-2");
        await _server.CheckinOkAsync(reporting.DeviceSecret, new CheckinRequest
        {
            Status = new DeviceStatus
            {
                Apps = [new InstalledApp { PackageName = "com.edgemdm.sample.scanner", VersionCode = 90, VersionName = "0.9.0" }],
                Battery = new BatteryStatus { Level = 72, Docked = true, DockedAt = new DockLocation { CradleId = "C1", Slot = 2 } },
            },
        });

        // Act
        var list = await EdgeAsync("devices", "list");
        var json = await EdgeAsync("devices", "list", "--json");
        var show = await EdgeAsync("devices", "show", "SN-1");
        var drift = await EdgeAsync("drift");

        // Assert
        Assert.Equal(0, list.Exit);
        Assert.Matches(@"^DEVICE\s+SERIAL\s+MODEL\s+GROUP\s+ASSIGNED TO\s+STATE\s+COMPLIANCE\s+APP\s+BATTERY\s+DOCK\s+OS\s+LAST CHECK-IN$", list.Out[0]);
        Assert.Contains(list.Out, l => l.Contains("SN-1", StringComparison.Ordinal) && l.Contains("non-compliant (", StringComparison.Ordinal)
            && l.Contains("com.edgemdm.sample.scanner 0.9.0 (90), wants 1.0.0 (100)", StringComparison.Ordinal) && l.Contains("C1/2", StringComparison.Ordinal));
        Assert.Contains(list.Out, l => l.Contains("SN-2", StringComparison.Ordinal) && l.Contains(" unknown ", StringComparison.Ordinal));
        Assert.Equal("2 devices, 0 compliant, 1 non-compliant, 1 unknown", list.Out[^1]);
        using var document = JsonDocument.Parse(string.Join('\n', json.Out));
        Assert.Equal(["non-compliant", "unknown"], document.RootElement.EnumerateArray().Select(d => d.GetProperty("compliance").GetString()));
        Assert.Contains(show.Out, l => l.StartsWith("compliance: non-compliant (", StringComparison.Ordinal));
        Assert.Contains("battery: 72 %, not charging, docked in cradle C1 slot 2", show.Out);
        Assert.Contains("app: com.edgemdm.sample.scanner 0.9.0 (90)", show.Out);
        Assert.Contains("os: not reported", show.Out);
        Assert.Equal("0 of 2 devices compliant, 1 non-compliant, 1 unknown (enrolled, nothing reported yet), 0 stale (silent for a day)", drift.Out[0]);
        Assert.Contains("unknown (enrolled, nothing reported yet):", drift.Out);
    }
}
