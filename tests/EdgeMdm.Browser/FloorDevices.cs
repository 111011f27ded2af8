using System.Net.Http.Headers;

namespace EdgeMdm.Browser;

/// <summary>Devices of the test seed's pickers, enrolled and checked in compliant as an agent would, optionally docked in a cradle's slot.</summary>
internal static class FloorDevices
{
    /// <summary>Enrolls <paramref name="serial"/> (a TC52) and checks it in with every declaration applied (so it is Active and compliant).</summary>
    public static async Task EnrollCompliantAsync(HttpClient appliance, string serial, int batteryLevel, DockLocation? dockedAt = null)
    {
        ArgumentNullException.ThrowIfNull(appliance);
        var secret = (await Enrollments.WhenAcceptedAsync(appliance, Processes.SeedToken, serial)).DeviceSecret;
        using var get = new HttpRequestMessage(HttpMethod.Get, "/api/v1/declarations");
        get.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var declared = await appliance.SendAsync(get);
        Assert.Equal(HttpStatusCode.OK, declared.StatusCode);
        var declarations = (await declared.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.DeclarationsDocument))!;
        var status = new DeviceStatus
        {
            Apps = [.. declarations.Apps.Select(a => new InstalledApp { PackageName = a.PackageName, VersionCode = a.VersionCode, VersionName = a.VersionName })],
            Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2026, 10, 1) },
            Battery = new BatteryStatus
            {
                Level = batteryLevel, HealthPercent = 95, CycleCount = 120, Charging = dockedAt is not null, Docked = dockedAt is not null, DockedAt = dockedAt,
            },
            Configurations = [.. declarations.Configurations.Select(c => new AppliedConfiguration { Id = c.Id, AppliedHash = c.Hash })],
            Certificates = [.. declarations.Certificates.Select(c => new CertificateStatus { Name = c.Name, NotAfter = new DateTimeOffset(2027, 11, 1, 0, 0, 0, TimeSpan.Zero) })],
            Staging = new StagingProgress { CompletedSteps = 3, TotalSteps = 3 },
        };
        using var checkin = new HttpRequestMessage(HttpMethod.Post, "/api/v1/checkin")
        {
            Content = JsonContent.Create(new CheckinRequest { DeclarationsToken = declarations.Token, Status = status }, DeviceProtocolJson.Default.CheckinRequest),
        };
        checkin.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
        using var checkedIn = await appliance.SendAsync(checkin);
        Assert.True(checkedIn.StatusCode == HttpStatusCode.OK, await checkedIn.Content.ReadAsStringAsync());
    }
}
