using EdgeMdm.Contracts.Sync;
using SQLite;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// A check-in that changes nothing but when the device was seen writes no page (flash endurance, docs/benchmarks.md
/// "Footprint"); the time is seen at once by every read, and written in a batch later or when the appliance stops.
/// </summary>
public sealed class LastSeenTests
{
    private static CheckinRequest Battery(int level) => new() { Status = new DeviceStatus { Battery = new BatteryStatus { Level = level } } };

    /// <summary>The device's row as the file holds it, read beside the appliance.</summary>
    private static (long? LastCheckinMs, long Checkins) StoredRow(string dataDir, string deviceId)
    {
        using var db = new SQLiteConnection(EdgeDatabase.PathIn(dataDir), SQLiteOpenFlags.ReadOnly);
        var row = db.Query<RowSeen>("SELECT last_checkin_at AS LastCheckinAt, checkin_count AS Checkins FROM devices WHERE id = ?", deviceId).Single();
        return (row.LastCheckinAt, row.Checkins);
    }

    private static long Ms(DateTimeOffset at) => at.ToUnixTimeMilliseconds();

    [Fact]
    public async Task A_checkin_that_changes_nothing_commits_no_page_but_every_read_sees_it_at_once()
    {
        // Arrange: the first check-in is written, and its status marker is still waiting for a push.
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        var firstAt = server.Clock.GetUtcNow();
        var depth = server.Get<IOutboxStore>().State().Depth;
        using var observer = new SQLiteConnection(EdgeDatabase.PathIn(server.DataDir), SQLiteOpenFlags.ReadOnly);
        var version = observer.ExecuteScalar<long>("PRAGMA data_version");

        // Act: the same status again, and no status at all.
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        var seenAt = server.Clock.GetUtcNow();

        // Assert: nothing committed a change to the file (data_version moves when another connection commits one)...
        Assert.Equal(version, observer.ExecuteScalar<long>("PRAGMA data_version"));
        Assert.Equal((Ms(firstAt), 1L), StoredRow(server.DataDir, device.DeviceId));
        Assert.Equal(depth, server.Get<IOutboxStore>().State().Depth);
        // ...yet the site's reads and the status the hub is pushed carry the latest check-in.
        var read = server.Get<IDeviceQueries>().Find(device.DeviceId)!;
        Assert.Equal((seenAt, 3L), (read.LastCheckinAt, read.CheckinCount));
        Assert.Equal(seenAt, Assert.Single(server.Get<IDeviceQueries>().ListDevices()).LastCheckinAt);
        var pushed = Assert.Single(await server.Get<IOutboxStore>().TakeBatchAsync(100), c => c.ChangeCase == SiteChange.ChangeOneofCase.Status);
        Assert.Equal(Ms(seenAt), pushed.Status.LastCheckinUnixMs);
    }

    [Fact]
    public async Task A_checkin_that_changes_the_status_is_on_disk_when_it_is_answered()
    {
        // Arrange
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        // Act
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, Battery(49));

        // Assert: the change is the row's, and so are the check-ins counted before it.
        Assert.Equal((Ms(server.Clock.GetUtcNow()), 2L), StoredRow(server.DataDir, device.DeviceId));
        Assert.Equal(3L, server.Get<IDeviceQueries>().Find(device.DeviceId)!.CheckinCount);
    }

    [Fact]
    public async Task Sightings_are_written_each_interval_with_a_status_marker_for_the_hub_and_the_rest_at_stop()
    {
        // Arrange: a device whose status the hub has been offered already.
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        await server.Get<IOutboxStore>().TakeBatchAsync(100);
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        var seenAt = server.Clock.GetUtcNow();

        // Act: the interval passes (the default 300 s). The write's commit is visible to readers a moment before the
        // writer thread forgets the sightings it wrote (its OnCommitted callback): until then a read counts them twice.
        server.Clock.Advance(TimeSpan.FromSeconds(300));
        await WaitUntilAsync(() => StoredRow(server.DataDir, device.DeviceId).LastCheckinMs == Ms(seenAt)
            && server.Get<IDeviceQueries>().Find(device.DeviceId)!.CheckinCount == 2);

        // Assert: written with its count, and the hub is offered the time in a new status marker.
        Assert.Equal(2L, StoredRow(server.DataDir, device.DeviceId).Checkins);
        Assert.Equal(2L, server.Get<IDeviceQueries>().Find(device.DeviceId)!.CheckinCount);
        var marker = Assert.Single(await server.Get<IOutboxStore>().TakeBatchAsync(100), c => c.ChangeCase == SiteChange.ChangeOneofCase.Status);
        Assert.Equal(Ms(seenAt), marker.Status.LastCheckinUnixMs);

        // Act: one more that changes nothing, then the appliance stops.
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());
        await server.App.StopAsync();

        // Assert
        Assert.Equal((Ms(server.Clock.GetUtcNow()), 3L), StoredRow(server.DataDir, device.DeviceId));
    }

    [Fact]
    public void The_write_interval_is_checked_at_start()
    {
        var validator = new EdgeOptionsValidator();

        var refused = validator.Validate(null, new EdgeOptions { LastSeenWriteSeconds = 0 });

        Assert.True(refused.Failed);
        Assert.Contains("Edge:LastSeenWriteSeconds must be between 1 and 3600, not 0", refused.FailureMessage, StringComparison.Ordinal);
        Assert.True(validator.Validate(null, new EdgeOptions { LastSeenWriteSeconds = 3600 }).Succeeded);
    }

    /// <summary>The interval's write runs on the appliance's timer once the fake clock passes it: polled, bounded.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out");
            await Task.Delay(20);
        }
    }

    private sealed class RowSeen
    {
        public long? LastCheckinAt { get; set; }

        public long Checkins { get; set; }
    }
}
