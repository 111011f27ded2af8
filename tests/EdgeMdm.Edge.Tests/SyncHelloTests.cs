namespace EdgeMdm.Edge.Tests;

/// <summary>What the sync worker tells the hub of its backlog and uplink in each round's Hello.</summary>
public sealed class SyncHelloTests
{
    private static readonly DateTimeOffset At = new(2026, 11, 24, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_backlog_is_reported_with_its_depth_and_the_time_of_its_oldest_change()
    {
        // Act
        var hello = SyncWorker.HelloFor(new OutboxState(1234, At, 1300, 66), UplinkState.Trying, At.AddMinutes(-5));

        // Assert
        Assert.Equal((1234UL, At.ToUnixTimeMilliseconds()), (hello.OutboxDepth, hello.OldestPendingUnixMs));
        Assert.Equal(("Trying", At.AddMinutes(-5).ToUnixTimeMilliseconds(), 1300UL), (hello.UplinkState, hello.LastSyncUnixMs, hello.OutboxHead));
        Assert.False(string.IsNullOrEmpty(hello.ApplianceVersion));
        Assert.Equal("", hello.SiteId); // the hub takes the site from the credential
    }

    [Fact]
    public void An_empty_outbox_and_a_first_sync_are_reported_as_zeros()
    {
        // Act
        var hello = SyncWorker.HelloFor(new OutboxState(0, null, 10, 10), UplinkState.Connected, null);

        // Assert
        Assert.Equal((0UL, 0L, "Connected", 0L, 10UL), (hello.OutboxDepth, hello.OldestPendingUnixMs, hello.UplinkState, hello.LastSyncUnixMs, hello.OutboxHead));
    }

    [Fact]
    public async Task The_hello_of_a_real_store_carries_its_pending_changes()
    {
        // Arrange: an enrolled device and a check-in leave changes in the outbox
        await using var server = await EdgeServer.StartAsync();
        var enrolledAt = server.Clock.GetUtcNow();
        var device = await server.EnrollAsync("SN-1");
        server.Clock.Advance(TimeSpan.FromMinutes(3));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        // Act
        var state = server.Get<IOutboxStore>().State();
        var hello = SyncWorker.HelloFor(state, UplinkState.Offline, null);

        // Assert
        Assert.True(state.Depth > 0);
        Assert.Equal(((ulong)state.Depth, (ulong)state.Depth), (hello.OutboxDepth, hello.OutboxHead));
        Assert.Equal(enrolledAt.ToUnixTimeMilliseconds(), hello.OldestPendingUnixMs);
        Assert.Equal("Offline", hello.UplinkState);
    }
}
