using EdgeMdm.Domain.Lifecycle;
using SQLite;

namespace EdgeMdm.Edge.Tests;

public sealed class CheckinTests
{
    internal static DeviceStatus CompliantStatus(DeclarationsDocument declarations) => new()
    {
        Apps = declarations.Apps.Select(a => new InstalledApp { PackageName = a.PackageName, VersionCode = a.VersionCode, VersionName = a.VersionName }).ToList(),
        Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2026, 10, 1) },
        Battery = new BatteryStatus { Level = 80, HealthPercent = 95, CycleCount = 120, Charging = false, Docked = false },
        Storage = new StorageStatus { FreeBytes = 8_000_000_000, TotalBytes = 32_000_000_000 },
        Wifi = new WifiStatus { Ssid = "WH-FLOOR", Rssi = -60 },
        Configurations = declarations.Configurations.Select(c => new AppliedConfiguration { Id = c.Id, AppliedHash = c.Hash }).ToList(),
        Certificates = declarations.Certificates.Select(c => new CertificateStatus { Name = c.Name, NotAfter = new DateTimeOffset(2027, 11, 1, 0, 0, 0, TimeSpan.Zero) }).ToList(),
        Staging = new StagingProgress { CompletedSteps = 3, TotalSteps = 3 },
    };

    /// <summary>The device fetches its declarations and reports carrying out all of them: it becomes compliant and, staging done, active.</summary>
    internal static async Task<DeclarationsDocument> CheckInCompliantAsync(EdgeServer server, string secret)
    {
        var declarations = await server.DeclarationsAsync(secret);
        await server.CheckinOkAsync(secret, new CheckinRequest { DeclarationsToken = declarations.Token, Status = CompliantStatus(declarations) });
        return declarations;
    }

    [Fact]
    public async Task Checkin_without_status_answers_the_declarations_token_and_interval()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        var answer = await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        Assert.Equal(32, answer.DeclarationsToken.Length);
        Assert.Empty(answer.Commands);
        Assert.Equal(30, answer.CheckinIntervalSeconds);
        var summary = server.Get<IDeviceQueries>().ListDevices().Single();
        Assert.False(summary.Compliant);
        Assert.Equal(1, summary.Checkins);
    }

    [Fact]
    public async Task Declarations_carry_an_etag_equal_to_the_token_and_answer_304_when_unchanged()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var token = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest())).DeclarationsToken;

        using var first = await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/declarations", device.DeviceSecret));
        var document = (await first.Content.ReadFromJsonAsync(DeviceProtocolJson.Default.DeclarationsDocument))!;
        using var conditional = EdgeServer.Authorized(HttpMethod.Get, "/api/v1/declarations", device.DeviceSecret);
        conditional.Headers.IfNoneMatch.Add(first.Headers.ETag!);
        using var second = await server.Http.SendAsync(conditional);

        Assert.Equal($"\"{token}\"", first.Headers.ETag!.Tag);
        Assert.Equal(token, document.Token);
        Assert.Equal("com.edgemdm.sample.scanner", document.Apps.Single().PackageName);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }

    [Fact]
    public async Task Declarations_without_a_credential_are_refused()
    {
        await using var server = await EdgeServer.StartAsync();
        await EnrollmentTests.ProblemAsync(await server.Http.GetAsync("/api/v1/declarations"), HttpStatusCode.Unauthorized);
        await EnrollmentTests.ProblemAsync(await server.Http.SendAsync(EdgeServer.Authorized(HttpMethod.Get, "/api/v1/declarations", "ds_not-a-secret")), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task A_device_reporting_what_its_blueprint_wants_becomes_compliant_and_active()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        await CheckInCompliantAsync(server, device.DeviceSecret);

        var detail = server.Get<IDeviceQueries>().Device(device.DeviceId)!;
        Assert.Empty(detail.CurrentFindings);
        Assert.True(detail.Device.Compliant);
        Assert.Equal(DeviceState.Active, detail.Device.State);
        Assert.Equal("staging complete", detail.History[^1].Reason);
    }

    [Fact]
    public async Task Only_changed_items_are_sent_and_the_stored_status_keeps_the_rest()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var declarations = await CheckInCompliantAsync(server, device.DeviceSecret);

        // Next check-in: only the battery changed, and the app went stale.
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest
        {
            DeclarationsToken = declarations.Token,
            Status = new DeviceStatus
            {
                Battery = new BatteryStatus { Level = 12, HealthPercent = 95, CycleCount = 121, Charging = false, Docked = false },
                Apps = [new InstalledApp { PackageName = "com.edgemdm.sample.scanner", VersionCode = 90, VersionName = "0.9.0" }],
            },
        });

        var summary = server.Get<IDeviceQueries>().ListDevices().Single();
        Assert.Equal(12, summary.BatteryLevel);
        Assert.Equal("14", summary.OsVersion);
        var finding = Assert.Single(server.Get<IDeviceQueries>().Device(device.DeviceId)!.CurrentFindings);
        Assert.Equal("app:com.edgemdm.sample.scanner", finding.Item);
        Assert.Equal("0.9.0 (90)", finding.Actual);
        var drift = server.Get<IDriftReport>().Drift();
        Assert.Equal(0, drift.Compliant);
        Assert.Equal(90, Assert.Single(drift.AppVersions).VersionCode);
    }

    [Fact]
    public async Task Checkin_answered_200_is_already_on_disk_with_wal_and_full_sync()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");

        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { Status = new DeviceStatus { Battery = new BatteryStatus { Level = 33 } } });

        // A separate connection, as after a restart, sees the acknowledged write.
        using var db = new SQLiteConnection(Path.Combine(server.DataDir, "edge.db"));
        Assert.Equal("wal", db.ExecuteScalar<string>("PRAGMA journal_mode"));
        Assert.Contains("\"level\":33", db.ExecuteScalar<string>("SELECT status FROM devices WHERE serial = 'SN-1'"), StringComparison.Ordinal);
        // synchronous is per connection: check the writer's own setting (2 = FULL).
        Assert.Equal(2, await server.Get<EdgeStorage>().Writer.WriteAsync(unit => unit.Db.ExecuteScalar<int>("PRAGMA synchronous")));
    }

    [Fact]
    public async Task Checkin_with_an_unknown_secret_or_none_is_401_with_a_bearer_challenge()
    {
        await using var server = await EdgeServer.StartAsync();

        using var none = await server.Http.PostAsJsonAsync("/api/v1/checkin", new CheckinRequest(), DeviceProtocolJson.Default.CheckinRequest);
        Assert.Equal("Bearer", none.Headers.WwwAuthenticate.Single().Scheme);
        await EnrollmentTests.ProblemAsync(none, HttpStatusCode.Unauthorized);
        await EnrollmentTests.ProblemAsync(await server.CheckinAsync("ds_wrong", new CheckinRequest()), HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Retired_device_checkin_is_refused_with_403()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var now = server.Clock.GetUtcNow();
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "staged", now);
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Quarantined, "test", "lost on the floor", now);
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Retired, "test", "written off", now);

        await EnrollmentTests.ProblemAsync(await server.CheckinAsync(device.DeviceSecret, new CheckinRequest()), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task Group_commit_batches_concurrent_checkins_and_loses_none()
    {
        await using var server = await EdgeServer.StartAsync();
        var devices = await Task.WhenAll(Enumerable.Range(0, 50).Select(i => server.EnrollAsync($"SN-{i:D3}")));
        var (batchesBefore, unitsBefore) = server.Get<EdgeStorage>().Writer.Counters;

        await Task.WhenAll(devices.SelectMany(d => Enumerable.Range(0, 10).Select(async _ =>
        {
            using var response = await server.CheckinAsync(d.DeviceSecret, new CheckinRequest());
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        })));

        var (batches, units) = server.Get<EdgeStorage>().Writer.Counters;
        Assert.Equal(500, units - unitsBefore);
        Assert.True(batches - batchesBefore < 500, $"expected group commits, got {batches - batchesBefore} batches for 500 check-ins");
        Assert.All(server.Get<IDeviceQueries>().ListDevices(), d => Assert.Equal(10, d.Checkins));
    }

    [Fact]
    public async Task Two_checkins_of_one_device_queued_together_both_land_neither_overwrites_the_other()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var declarations = await server.DeclarationsAsync(device.DeviceSecret);
        var reported = CompliantStatus(declarations);
        var token = (await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest
        {
            DeclarationsToken = declarations.Token,
            Status = reported with { Battery = reported.Battery! with { Level = 50 } },
        })).DeclarationsToken;
        var secretHash = Domain.Blueprints.CanonicalHash.Sha256Hex(device.DeviceSecret);
        var now = server.Clock.GetUtcNow();

        // Both check-ins arrive while the writer is held, so both were read against the same committed row; the
        // second must merge into what the first wrote, not into the row both saw (a lost update would leave 50).
        using var writerHeld = new ManualResetEventSlim();
        var holder = server.Get<EdgeStorage>().Writer.WriteAsync(_ => writerHeld.Wait(TimeSpan.FromSeconds(30)));
        var battery = server.Get<ICheckinStore>().CheckinAsync(secretHash, new DeviceStatus { Battery = reported.Battery with { Level = 60 } }, token, now);
        var apps = server.Get<ICheckinStore>().CheckinAsync(secretHash, new DeviceStatus { Apps = [] }, token, now);
        writerHeld.Set();
        Assert.True(await holder);
        Assert.NotNull((await battery).Value);
        Assert.NotNull((await apps).Value);

        var summary = server.Get<IDeviceQueries>().ListDevices().Single();
        Assert.Equal(3, summary.Checkins);
        Assert.Equal(60, summary.BatteryLevel);
        Assert.False(summary.Compliant);
        Assert.Contains(server.Get<IDeviceQueries>().Device(device.DeviceId)!.CurrentFindings, f => f.Item.StartsWith("app:", StringComparison.Ordinal));
    }
}
