using EdgeMdm.Contracts.Device;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Checkin;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Issue 26 at the site: compliance names unknown (enrolled, nothing reported) apart from non-compliant and stale; device
/// lists carry the key app and the dock; <c>devices show</c> has what the device reports; the log says what happens.
/// </summary>
public sealed class DeviceFactsTests
{
    private static CheckinRequest Reporting(long scannerVersion, bool docked) => new()
    {
        Status = new DeviceStatus
        {
            Apps = [new InstalledApp { PackageName = "com.edgemdm.sample.scanner", VersionCode = scannerVersion, VersionName = "0.9.0" }],
            Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2026, 10, 1) },
            Battery = new BatteryStatus { Level = 72, HealthPercent = 90, Charging = docked, Docked = docked, DockedAt = docked ? new DockLocation { CradleId = "C1", Slot = 2 } : null },
            Storage = new StorageStatus { FreeBytes = 2L * 1024 * 1024 * 1024, TotalBytes = 32L * 1024 * 1024 * 1024 },
            Wifi = new WifiStatus { Ssid = "WH-FLOOR", Rssi = -58 },
        },
    };

    [Fact]
    public async Task A_device_enrolled_a_moment_ago_is_unknown_then_judged_once_it_reports_and_stale_after_a_day_of_silence()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var queries = server.Get<IDeviceQueries>();

        // Act
        server.Clock.Advance(TimeSpan.FromMinutes(2));
        var enrolled = queries.ListDevices().Single();
        var enrolledDrift = server.Get<IDriftReport>().Drift();
        await server.CheckinOkAsync(device.DeviceSecret, Reporting(90, docked: true));
        var reported = queries.ListDevices().Single();
        var reportedDrift = server.Get<IDriftReport>().Drift();
        server.Clock.Advance(TimeSpan.FromHours(25));
        var silent = queries.ListDevices().Single();
        var silentDrift = server.Get<IDriftReport>().Drift();
        var widerWindow = queries.ListDevices(TimeSpan.FromDays(2)).Single();

        // Assert
        Assert.Equal(("unknown", false), (enrolled.Compliance, enrolled.Compliant));
        Assert.Equal((1, 0, 0, 1, 0), (enrolledDrift.Devices, enrolledDrift.Compliant, enrolledDrift.NonCompliant.Count, enrolledDrift.Unknown.Count, enrolledDrift.Stale.Count));
        Assert.Equal("SN-1", enrolledDrift.Unknown[0].Serial);
        Assert.Equal("non-compliant", reported.Compliance);
        Assert.Equal((1, 0), (reportedDrift.NonCompliant.Count, reportedDrift.Unknown.Count));
        Assert.Equal("stale", silent.Compliance);
        Assert.Equal((0, 1), (silentDrift.NonCompliant.Count, silentDrift.Stale.Count));
        Assert.Equal("non-compliant", widerWindow.Compliance);
    }

    [Fact]
    public async Task Lists_carry_the_key_app_and_dock_and_show_has_what_the_device_reports()
    {
        // Arrange: pickers' blueprint wants the scanner at 1.0.0 (100)
        await using var server = await EdgeServer.StartAsync();
        var docked = await server.EnrollAsync("SN-1");
        var loose = await server.EnrollAsync("SN-2");
        await server.CheckinOkAsync(docked.DeviceSecret, Reporting(90, docked: true));
        await server.CheckinOkAsync(loose.DeviceSecret, Reporting(100, docked: false));

        // Act
        var list = server.Get<IDeviceQueries>().ListDevices().ToDictionary(d => d.Serial, StringComparer.Ordinal);
        var shown = server.Get<IDeviceQueries>().Device("SN-1")!;

        // Assert
        Assert.Equal(("com.edgemdm.sample.scanner 0.9.0 (90), wants 1.0.0 (100)", "C1/2"), (list["SN-1"].App, list["SN-1"].Dock));
        Assert.Equal(("com.edgemdm.sample.scanner 0.9.0 (100)", "-"), (list["SN-2"].App, list["SN-2"].Dock));
        var lines = Domain.Drift.DeviceStatusText.Lines(shown.Reported).ToDictionary(l => l.Label, l => l.Text, StringComparer.Ordinal);
        Assert.Equal("72 %, health 90 %, charging, docked in cradle C1 slot 2", lines["battery"]);
        Assert.Equal("14, security patch 2026-10-01", lines["os"]);
        Assert.Equal("2 GB free of 32 GB", lines["storage"]);
        Assert.Equal("WH-FLOOR, -58 dBm", lines["wi-fi"]);
        Assert.Equal("com.edgemdm.sample.scanner 0.9.0 (90)", lines["app"]);
        Assert.NotNull(shown.Device.EnrolledAt);
    }

    [Fact]
    public async Task The_log_says_when_a_command_is_queued_and_sent_and_when_a_site_user_is_applied()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var hash = PasswordHash.Create("sam's password", 1_000);

        // Act
        var command = await server.QueueCommandAsync(device.DeviceId, DeviceCommandTypes.Ring);
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        await HubCatalog.ApplyAsync(server, new HubChange
        {
            Position = 1,
            SiteUserUpserted = new SiteUserUpserted { UserName = "sam", Role = SiteUserRoles.Supervisor, PasswordHash = hash },
        });
        await HubCatalog.ApplyAsync(server, new HubChange { Position = 2, SiteUserRemoved = new SiteUserRemoved { UserName = "sam" } });

        // Assert
        var logs = server.Logs.Entries;
        Assert.Contains(logs, e => e.EventId.Id == 1200 && string.Equals(e.Message, $"Command {command.CommandId} ring queued at the site for device {device.DeviceId} by test", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.EventId.Id == 1203 && string.Equals(e.Message, $"Command {command.CommandId} ring sent to device {device.DeviceId} at its check-in", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.EventId.Id == 1210 && string.Equals(e.Message, "Site user sam applied from the hub as supervisor", StringComparison.Ordinal));
        Assert.Contains(logs, e => e.EventId.Id == 1211 && string.Equals(e.Message, "Site user sam removed as the hub says", StringComparison.Ordinal));
        Assert.DoesNotContain(logs, e => e.Message.Contains(hash, StringComparison.Ordinal));
    }
}
