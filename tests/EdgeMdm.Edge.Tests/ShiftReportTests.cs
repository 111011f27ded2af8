using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Floor;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Alerts;
using EdgeMdm.Edge.Batteries;
using EdgeMdm.Edge.Hosting;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// Readiness before a shift and missing devices after one, recorded by the real host's shift worker on its fake clock
/// (it starts at 2026-11-24 08:00 UTC, in the early shift), across shift boundaries and jumps of the wall clock.
/// </summary>
public sealed class ShiftReportTests
{
    private static readonly string[] Shifts =
    [
        "--Edge:Shifts:TimeZone", "UTC",
        "--Edge:Shifts:Shifts:0:Name", "early", "--Edge:Shifts:Shifts:0:Start", "06:00", "--Edge:Shifts:Shifts:0:End", "14:00",
        "--Edge:Shifts:Shifts:1:Name", "late", "--Edge:Shifts:Shifts:1:Start", "14:00", "--Edge:Shifts:Shifts:1:End", "22:00",
        "--Edge:Batteries:MinSampleIntervalSeconds", "0",
    ];

    private static readonly DateOnly Day = new(2026, 11, 24);

    private static readonly ShiftDefinition EarlyShift = new("early", new TimeOnly(6, 0), new TimeOnly(14, 0));
    private static readonly ShiftDefinition LateShift = new("late", new TimeOnly(14, 0), new TimeOnly(22, 0));

    private static ShiftOccurrence Occurrence(EdgeServer server, ShiftDefinition shift) =>
        server.Get<FloorReports>().Calendar.Schedule.On(shift, Day);

    private static async Task<EnrollResponse> ActiveDeviceAsync(EdgeServer server, string serial, BatteryStatus battery, string? bssid = null)
    {
        var device = await server.EnrollAsync(serial);
        var declarations = await server.DeclarationsAsync(device.DeviceSecret);
        var status = CheckinTests.CompliantStatus(declarations) with { Battery = battery, Wifi = new WifiStatus { Ssid = "WH-FLOOR", Bssid = bssid } };
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = status });
        Assert.Equal(DeviceState.Active, server.Get<IDeviceQueries>().Find(device.DeviceId)!.State);
        return device;
    }

    private static Task<CheckinResponse> CheckinBatteryAsync(EdgeServer server, EnrollResponse device, BatteryStatus battery) =>
        server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = battery } });

    /// <summary>
    /// Until the shift worker has woken within five minutes after <paramref name="at"/> on the wall clock (so after a jump back, too). Its timer may have been set
    /// after the test moved the clock, so the clock is nudged ahead 10 s at a time meanwhile, as time would pass.
    /// </summary>
    private static async Task WorkerPastAsync(EdgeServer server, DateTimeOffset at)
    {
        var worker = server.Get<ShiftWorker>();
        for (var i = 0; i < 300; i++)
        {
            if (worker.LastTickAt is { } woke && woke >= at && woke < at.AddMinutes(5))
                return;
            server.Clock.Advance(TimeSpan.FromSeconds(10));
            await Task.Delay(20);
        }

        throw new TimeoutException($"the shift worker did not wake after {at:O}");
    }

    [Fact]
    public async Task Readiness_is_recorded_before_the_next_shift_with_the_devices_predicted_to_fall_short()
    {
        // Arrange: a charged device, a draining one (10 %/h off the cradle), a charged one that drifts
        await using var server = await EdgeServer.StartAsync(Shifts);
        var charged = await ActiveDeviceAsync(server, "SN-R1", new BatteryStatus { Serial = "P-R1", Level = 95, HealthPercent = 90, Charging = false, Docked = true });
        var draining = await ActiveDeviceAsync(server, "SN-R2", new BatteryStatus { Serial = "P-R2", Level = 80, HealthPercent = 90, Charging = false, Docked = false });
        var drifting = await ActiveDeviceAsync(server, "SN-R3", new BatteryStatus { Serial = "P-R3", Level = 99, HealthPercent = 90, Charging = false, Docked = true });
        await server.CheckinOkAsync(drifting.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Apps = [] } });
        server.Clock.Advance(TimeSpan.FromHours(1));
        await CheckinBatteryAsync(server, draining, new BatteryStatus { Serial = "P-R2", Level = 70, HealthPercent = 90, Charging = false, Docked = false });

        // Act: to 13:31, past the readiness moment of the late shift (13:30)
        var at = new DateTimeOffset(2026, 11, 24, 13, 31, 0, TimeSpan.Zero);
        server.Clock.Advance(at - server.Clock.GetUtcNow());
        await WorkerPastAsync(server, at);
        var late = Occurrence(server, LateShift);
        var figure = server.Get<ShiftReportStore>().Readiness(late);

        // Assert
        Assert.NotNull(figure);
        Assert.Equal(late, figure.Shift);
        Assert.Equal((3, 1, 33.3), (figure.ActiveDevices, figure.ChargedAndCompliant, figure.ReadyPercent));
        var shortfall = Assert.Single(figure.Shortfall);
        Assert.Equal(("SN-R2", 70.0, TimeSpan.FromHours(7)), (shortfall.Serial, shortfall.StartChargePercent, shortfall.Runtime));
        Assert.Null(server.Get<ShiftReportStore>().Readiness(Occurrence(server, EarlyShift)));
        Assert.NotNull(charged);
    }

    [Fact]
    public async Task Devices_not_docked_after_the_shift_are_reported_once_across_clock_jumps_forward_and_back()
    {
        // Arrange: one device docked, one out on the floor under an access point
        await using var server = await EdgeServer.StartAsync(Shifts);
        await ActiveDeviceAsync(server, "SN-M1", new BatteryStatus { Serial = "P-M1", Level = 60, Charging = true, Docked = true });
        var away = await ActiveDeviceAsync(server, "SN-M2", new BatteryStatus { Serial = "P-M2", Level = 40, HealthPercent = 90, Charging = false, Docked = false }, bssid: "aa:bb:cc:00:00:07");
        var early = Occurrence(server, EarlyShift);

        // Act 1: the wall clock jumps forward past the early shift's end + 30 min (14:30); a minute passes
        var jumpedTo = new DateTimeOffset(2026, 11, 24, 14, 45, 0, TimeSpan.Zero);
        server.Clock.AdjustTime(jumpedTo);
        await WorkerPastAsync(server, jumpedTo);
        var report = server.Get<ShiftReportStore>().Missing(early);
        Assert.NotNull(report);

        // Assert 1
        Assert.Equal(early.End.AddMinutes(30), report.DueAt);
        var missing = Assert.Single(report.Missing);
        Assert.Equal(("SN-M2", "pickers", "access point aa:bb:cc:00:00:07"), (missing.Serial, missing.Group, missing.Place));
        var alert = Assert.Single(server.Get<IAlerts>().Open(), a => string.Equals(a.Kind, ShiftWorker.MissingAlertKind, StringComparison.Ordinal));
        Assert.Equal("early@2026-11-24", alert.Subject);

        // Act 2: the clock jumps back before the due time, the device docks, and the clock comes past the due time again
        var back = new DateTimeOffset(2026, 11, 24, 14, 0, 0, TimeSpan.Zero);
        server.Clock.AdjustTime(back);
        await WorkerPastAsync(server, back);
        await CheckinBatteryAsync(server, away, new BatteryStatus { Serial = "P-M2", Level = 41, HealthPercent = 90, Charging = true, Docked = true });
        server.Clock.Advance(TimeSpan.FromMinutes(40));
        await WorkerPastAsync(server, back.AddMinutes(40));

        // Assert 2: the report recorded at its due time stands, once; the alert is not raised twice
        Assert.Equal(report.ComputedAt, server.Get<ShiftReportStore>().Missing(early)!.ComputedAt);
        Assert.Single(server.Get<IAlerts>().Open(), a => string.Equals(a.Kind, ShiftWorker.MissingAlertKind, StringComparison.Ordinal));
        var view = server.Get<FloorReports>().LastMissing()!;
        Assert.True(view.Recorded);
        Assert.Equal("SN-M2", Assert.Single(view.Report.Missing).Serial);
    }

    [Fact]
    public async Task Missing_for_a_shift_whose_report_is_not_due_yet_is_computed_now()
    {
        // Arrange: at 08:00 the last shift that ended is yesterday's late one, long past its report's catch-up window
        await using var server = await EdgeServer.StartAsync(Shifts);
        await ActiveDeviceAsync(server, "SN-N1", new BatteryStatus { Serial = "P-N1", Level = 60, HealthPercent = 90, Charging = false, Docked = false });

        // Act
        var view = server.Get<FloorReports>().LastMissing()!;

        // Assert
        Assert.False(view.Recorded);
        Assert.Equal("late@2026-11-23", view.Report.Shift.Id);
        Assert.Single(view.Report.Missing);
    }

    [Fact]
    public async Task The_floor_endpoints_answer_site_users_and_refuse_devices_and_anonymous_callers()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync(Shifts);
        var device = await ActiveDeviceAsync(server, "SN-A1", new BatteryStatus { Serial = "P-A1", Level = 95, HealthPercent = 90, Charging = false, Docked = true });
        await HubCatalog.ApplyAsync(server, new HubChange
        {
            Position = 1,
            SiteUserUpserted = new SiteUserUpserted { UserName = "kim", Role = SiteUserRoles.Supervisor, PasswordHash = PasswordHash.Create("kim's password", 1_000) },
        });

        // Act
        using var anonymous = await server.Http.GetAsync("/api/v1/readiness");
        using var asDevice = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/readiness", device.DeviceSecret));
        using var wrong = await server.Http.SendAsync(AsUser(HttpMethod.Get, "/api/v1/missing", "kim", "not it"));
        using var readiness = await server.Http.SendAsync(AsUser(HttpMethod.Get, "/api/v1/readiness", "kim", "kim's password"));
        using var batteries = await server.Http.SendAsync(AsUser(HttpMethod.Get, "/api/v1/batteries", "kim", "kim's password"));

        // Assert
        foreach (var refused in new[] { anonymous, asDevice, wrong })
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
            Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
            Assert.Equal("Basic", refused.Headers.WwwAuthenticate.Single().Scheme);
        }

        Assert.Equal(HttpStatusCode.OK, readiness.StatusCode);
        using var figure = JsonDocument.Parse(await readiness.Content.ReadAsStringAsync());
        Assert.Equal("late", figure.RootElement.GetProperty("shift").GetProperty("name").GetString());
        Assert.Equal(1, figure.RootElement.GetProperty("chargedAndCompliant").GetInt32());
        using var packs = JsonDocument.Parse(await batteries.Content.ReadAsStringAsync());
        Assert.Equal("P-A1", packs.RootElement.GetProperty("batteries")[0].GetProperty("battery").GetString());
    }

    [Fact]
    public async Task An_operator_command_without_shifts_of_its_own_uses_the_ones_the_service_started_with()
    {
        // Arrange: the service records its settings when its worker starts
        await using var server = await EdgeServer.StartAsync([.. Shifts, "--Edge:Shifts:ReadyChargePercent", "85"]);
        await WorkerPastAsync(server, server.Clock.GetUtcNow());

        // Act: a command's configuration has no shifts (its shell lacks the service's environment)
        var calendar = new ShiftCalendar(Microsoft.Extensions.Options.Options.Create(new ShiftOptions()), server.Get<Storage.EdgeStorage>());

        // Assert
        Assert.Equal("late@2026-11-24", calendar.Schedule.Next(server.Clock.GetUtcNow())!.Id);
        Assert.Equal(85, calendar.ReadyChargePercent);
    }

    [Theory]
    [InlineData("06:00", "14:00", "12:00", "18:00", "UTC", "overlap")]
    [InlineData("06:00", "25:00", "14:00", "22:00", "UTC", "must be a time of day as HH:mm, not '25:00'")]
    [InlineData("06:00", "14:00", "14:00", "22:00", "Mars/Olympus_Mons", "not a known time zone")]
    [InlineData("22:00", "07:00", "06:00", "14:00", "UTC", "overlap")]
    public async Task Bad_shifts_stop_the_appliance_at_start_with_a_readable_reason(string start1, string end1, string start2, string end2, string zone, string reason)
    {
        // Arrange
        var dataDir = Path.Combine(Path.GetTempPath(), "edgemdm-test-" + Guid.NewGuid().ToString("N"));
        await using var app = EdgeHost.Build(
        [
            "--urls", "https://127.0.0.1:0", "--data-dir", dataDir, "--seed", EdgeServer.SeedPath,
            "--Edge:Shifts:TimeZone", zone,
            "--Edge:Shifts:Shifts:0:Name", "a", "--Edge:Shifts:Shifts:0:Start", start1, "--Edge:Shifts:Shifts:0:End", end1,
            "--Edge:Shifts:Shifts:1:Name", "b", "--Edge:Shifts:Shifts:1:Start", start2, "--Edge:Shifts:Shifts:1:End", end2,
        ]);

        // Act
        var refused = await Assert.ThrowsAsync<OptionsValidationException>(() => app.StartAsync());

        // Assert
        Assert.Contains(refused.Failures, f => f.StartsWith("Edge:Shifts", StringComparison.Ordinal) && f.Contains(reason, StringComparison.Ordinal));
        try
        {
            Directory.Delete(dataDir, recursive: true);
        }
        catch (IOException)
        {
            // As EdgeServer: the OS cleans the temp directory.
        }
    }

    private static HttpRequestMessage AsUser(HttpMethod method, string path, string user, string password)
    {
        var request = new HttpRequestMessage(method, path);
        request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(user + ":" + password)));
        return request;
    }
}
