using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Edge.Tests;

/// <summary>The upstream log (ADR 0001): what the site's changes write to the outbox, and how the sync worker reads it.</summary>
public sealed class OutboxTests
{

    private static CheckinRequest Battery(int level) => new() { Status = new DeviceStatus { Battery = new BatteryStatus { Level = level } } };

    private static int BatteryIn(SiteChange change) =>
        JsonSerializer.Deserialize(change.Status.StatusJson, DeviceProtocolJson.Default.DeviceStatus)!.Battery!.Level!.Value;

    private static void AssertNoGaps(IReadOnlyList<SiteChange> changes, ulong first = 1)
    {
        for (var i = 0; i < changes.Count; i++)
            Assert.Equal(first + (ulong)i, changes[i].Sequence);
    }

    [Fact]
    public async Task Enrollment_and_checkins_append_their_changes_in_sequence_order_without_gaps()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var declarations = await CheckinTests.CheckInCompliantAsync(server, device.DeviceSecret);
        var command = await server.QueueCommandAsync(device.DeviceId, "ring");
        server.Clock.Advance(TimeSpan.FromSeconds(30));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest { DeclarationsToken = declarations.Token });
        await server.Get<IDeviceCommands>().RecordResultAsync(
            Domain.Blueprints.CanonicalHash.Sha256Hex(device.DeviceSecret), command.CommandId, new CommandOutcomeReport(true, "rang", null), server.Clock.GetUtcNow());

        var all = await server.Get<IOutboxStore>().TakeBatchAsync(100);
        var changes = WithoutAudit(all);

        Assert.Equal(
            [
                SiteChange.ChangeOneofCase.Enrolled, SiteChange.ChangeOneofCase.Transitioned, SiteChange.ChangeOneofCase.Transitioned,
                SiteChange.ChangeOneofCase.Transitioned, SiteChange.ChangeOneofCase.Status, SiteChange.ChangeOneofCase.CommandQueued,
                SiteChange.ChangeOneofCase.CommandResult, SiteChange.ChangeOneofCase.CommandResult,
            ],
            changes.Select(c => c.ChangeCase));
        AssertNoGaps(all);
        Assert.All(changes, c => Assert.Equal(device.DeviceId, c.DeviceId));
        Assert.Equal("SN-1", changes[0].Enrolled.Serial);
        Assert.Equal("pickers", changes[0].Enrolled.Group);
        Assert.False(changes[0].Enrolled.Reenrolled);
        Assert.Equal(["->Enrolling", "Enrolling->Staging", "Staging->Active"], changes.Skip(1).Take(3).Select(c => c.Transitioned.FromState + "->" + c.Transitioned.ToState));
        // The second check-in replaced the first one's status, which no push had read yet.
        Assert.Equal(server.Clock.GetUtcNow().ToUnixTimeMilliseconds(), changes[4].Status.LastCheckinUnixMs);
        Assert.Equal(server.Clock.GetUtcNow().ToUnixTimeMilliseconds(), changes[4].AtUnixMs);
        Assert.True(changes[4].Status.Compliant);
        Assert.Equal(declarations.Token, changes[4].Status.DeclarationsToken);
        // The operator's command goes up before its results, so the hub knows it when they arrive.
        Assert.Equal((command.CommandId, "ring", "test"), (changes[5].CommandQueued.CommandId, changes[5].CommandQueued.Type, changes[5].CommandQueued.CreatedBy));
        Assert.Equal(0, changes[5].CommandQueued.ExpiresUnixMs);
        Assert.Equal([("delivered", ""), ("succeeded", "rang")], changes.Skip(6).Select(c => (c.CommandResult.Status, c.CommandResult.Message)));
        Assert.All(changes.Skip(6), c => Assert.Equal(command.CommandId, c.CommandResult.CommandId));
    }

    [Fact]
    public async Task Status_is_coalesced_until_a_push_reads_it_then_a_new_row_is_appended()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        await server.CheckinOkAsync(device.DeviceSecret, Battery(40));
        await server.CheckinOkAsync(device.DeviceSecret, Battery(30));

        var first = await server.Get<IOutboxStore>().TakeBatchAsync(100);
        await server.CheckinOkAsync(device.DeviceSecret, Battery(20));
        await server.CheckinOkAsync(device.DeviceSecret, Battery(10));
        var second = await server.Get<IOutboxStore>().TakeBatchAsync(100);

        var status = Assert.Single(first, c => c.ChangeCase == SiteChange.ChangeOneofCase.Status);
        Assert.Equal(30, BatteryIn(status));
        // Enrolled, ->Enrolling and Enrolling->Staging each with its audit record (AuditRecorded), then the status.
        Assert.Equal(6UL, status.Sequence);
        var next = Assert.Single(second);
        Assert.Equal(7UL, next.Sequence);
        Assert.Equal(10, BatteryIn(next));
        Assert.Equal(7L, server.Get<IOutboxStore>().State().Depth);
    }

    [Fact]
    public async Task A_check_in_after_a_reenrollment_is_reported_after_it_even_while_an_older_status_is_unread()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        var again = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(again.DeviceSecret, Battery(40));

        var changes = (await server.Get<IOutboxStore>().TakeBatchAsync(100)).ToList();

        // The hub starts the status afresh on the enrollment; the status after it must come later in the log.
        var reenrolled = changes.FindLastIndex(c => c.ChangeCase == SiteChange.ChangeOneofCase.Enrolled);
        var last = changes.FindLastIndex(c => c.ChangeCase == SiteChange.ChangeOneofCase.Status);
        Assert.True(changes[reenrolled].Enrolled.Reenrolled);
        Assert.True(last > reenrolled, $"the last status is at {last}, the re-enrollment at {reenrolled}");
        Assert.Equal(40, BatteryIn(changes[last]));
    }

    [Fact]
    public async Task Events_are_never_coalesced()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.EnrollAsync("SN-1");
        var now = server.Clock.GetUtcNow();
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "operator", "staged by hand", now);
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Quarantined, "operator", "lost on the floor", now);

        var all = await server.Get<IOutboxStore>().TakeBatchAsync(100);
        var changes = WithoutAudit(all);

        AssertNoGaps(all);
        Assert.Equal(
            [
                "enrolled", "->Enrolling", "Enrolling->Staging", "enrolled", "Staging->Enrolling", "Enrolling->Staging",
                "Staging->Active", "Active->Quarantined",
            ],
            changes.Select(c => c.ChangeCase == SiteChange.ChangeOneofCase.Enrolled ? "enrolled" : c.Transitioned.FromState + "->" + c.Transitioned.ToState));
        Assert.True(changes[3].Enrolled.Reenrolled);
        Assert.Equal("operator", changes[^1].Transitioned.Actor);
        Assert.Equal("lost on the floor", changes[^1].Transitioned.Reason);
    }

    [Fact]
    public async Task An_expired_command_reports_expired_and_a_repeated_result_reports_nothing()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var secretHash = Domain.Blueprints.CanonicalHash.Sha256Hex(device.DeviceSecret);
        var now = server.Clock.GetUtcNow();
        var expiring = await server.QueueCommandAsync(device.DeviceId, "lock", now.AddMinutes(5));
        var failing = await server.QueueCommandAsync(device.DeviceId, "wipe");
        await server.Get<IDeviceCommands>().RecordResultAsync(secretHash, failing.CommandId, new CommandOutcomeReport(false, "busy", null), now);
        await server.Get<IDeviceCommands>().RecordResultAsync(secretHash, failing.CommandId, new CommandOutcomeReport(false, "busy", null), now);
        server.Clock.Advance(TimeSpan.FromMinutes(6));
        await server.CheckinOkAsync(device.DeviceSecret, new CheckinRequest());

        var results = (await server.Get<IOutboxStore>().TakeBatchAsync(100)).Where(c => c.ChangeCase == SiteChange.ChangeOneofCase.CommandResult).ToList();

        Assert.Equal([(failing.CommandId, "failed"), (expiring.CommandId, "expired")], results.Select(r => (r.CommandResult.CommandId, r.CommandResult.Status)));
    }

    [Fact]
    public async Task TakeBatch_offers_in_order_and_Acknowledge_deletes_what_the_hub_holds()
    {
        await using var server = await EdgeServer.StartAsync();
        var enrolledAt = server.Clock.GetUtcNow();
        await server.EnrollAsync("SN-1");
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        await server.EnrollAsync("SN-2");
        var store = server.Get<IOutboxStore>();

        // Each enrollment: Enrolled, two transitions and their two audit records.
        var empty = new OutboxState(10, enrolledAt, 0, 0);
        Assert.Equal(empty, store.State());
        var first = await store.TakeBatchAsync(2);
        var second = await store.TakeBatchAsync(2);
        var offered = store.State();
        await store.AcknowledgeAsync(3);
        var acknowledged = store.State();

        Assert.Equal([1UL, 2UL], first.Select(c => c.Sequence));
        Assert.Equal([3UL, 4UL], second.Select(c => c.Sequence));
        Assert.Equal(new OutboxState(10, enrolledAt, 4, 0), offered);
        Assert.Equal(new OutboxState(7, enrolledAt, 4, 3), acknowledged);
        Assert.Equal([5UL, 6UL, 7UL, 8UL, 9UL, 10UL], (await store.TakeBatchAsync(10)).Select(c => c.Sequence));
        Assert.Empty(await store.TakeBatchAsync(10));
    }

    [Fact]
    public async Task Acknowledge_is_idempotent_and_never_goes_backwards()
    {
        await using var server = await EdgeServer.StartAsync();
        await server.EnrollAsync("SN-1");
        await server.EnrollAsync("SN-2");
        var store = server.Get<IOutboxStore>();
        await store.TakeBatchAsync(10);

        await store.AcknowledgeAsync(4);
        await store.AcknowledgeAsync(4);
        await store.AcknowledgeAsync(2);

        var state = store.State();
        Assert.Equal(4UL, state.AckedThrough);
        Assert.Equal(6L, state.Depth);
        Assert.Equal(10UL, state.OfferedThrough);
    }

    [Fact]
    public async Task After_a_reset_the_rows_above_what_the_hub_holds_are_offered_again_and_status_never_goes_back()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(device.DeviceSecret, Battery(50));
        var store = server.Get<IOutboxStore>();
        var lost = await store.TakeBatchAsync(10);

        await store.ResetOfferedAsync(2);
        await server.CheckinOkAsync(device.DeviceSecret, Battery(40));
        var again = await store.TakeBatchAsync(10);

        // The enrollment's five rows (its two transitions with their audit records), then the status.
        Assert.Equal([1UL, 2UL, 3UL, 4UL, 5UL, 6UL], lost.Select(c => c.Sequence));
        Assert.Equal([3UL, 4UL, 5UL, 6UL, 7UL], again.Select(c => c.Sequence));
        // Row 6 may already be at the hub from the lost stream, so the newer check-in got a row of its own (7);
        // a status row carries the device's status as it is when taken, so both say 40 and the hub, applying
        // 6 then 7 or skipping 6, ends at the newest either way.
        Assert.Equal(50, BatteryIn(lost[5]));
        Assert.Equal(40, BatteryIn(again[3]));
        Assert.Equal(40, BatteryIn(again[4]));
        Assert.Equal(new OutboxState(5, store.State().OldestPendingAt, 7, 2), store.State());
    }

    [Fact]
    public async Task A_hub_ahead_of_the_site_makes_new_changes_number_above_it()
    {
        await using var server = await EdgeServer.StartAsync();
        var store = server.Get<IOutboxStore>();

        await store.ResetOfferedAsync(100);
        await server.EnrollAsync("SN-1");

        Assert.Equal([101UL, 102UL, 103UL, 104UL, 105UL], (await store.TakeBatchAsync(10)).Select(c => c.Sequence));
    }

    [Fact]
    public async Task A_failing_unit_leaves_no_outbox_row_and_no_hole()
    {
        await using var server = await EdgeServer.StartAsync();
        var device = await server.EnrollAsync("SN-1");
        var before = server.Get<IOutboxStore>().State();

        await Assert.ThrowsAsync<InvalidOperationException>(() => server.Get<EdgeStorage>().Writer.WriteAsync<bool>(unit =>
        {
            server.Get<IDeviceRegistry>().Transition(unit, device.DeviceId, DeviceState.Staging, DeviceState.Active, "test", "doomed", server.Clock.GetUtcNow());
            throw new InvalidOperationException("the state change failed after its outbox row was written");
        }));
        var afterFailure = server.Get<IOutboxStore>().State();
        await server.Get<IDeviceAdmin>().TransitionAsync(device.DeviceId, DeviceState.Active, "test", "kept", server.Clock.GetUtcNow());

        Assert.Equal(5L, before.Depth);
        Assert.Equal(before, afterFailure);
        var changes = await server.Get<IOutboxStore>().TakeBatchAsync(100);
        AssertNoGaps(changes);
        Assert.Equal(7, changes.Count);
        Assert.Equal("kept", changes[^2].Transitioned.Reason);
        Assert.Equal(SiteChange.ChangeOneofCase.AuditRecorded, changes[^1].ChangeCase);
    }

    [Fact]
    public async Task A_hub_that_lost_what_it_acknowledged_gets_a_snapshot_numbered_right_after_what_it_holds()
    {
        // The hub acknowledged everything, then its database went back to sequence 2 (a restored backup).
        await using var server = await EdgeServer.StartAsync();
        var store = server.Get<IOutboxStore>();
        var first = await server.EnrollAsync("SN-1");
        await server.CheckinOkAsync(first.DeviceSecret, Battery(61));
        var command = await server.QueueCommandAsync(first.DeviceId, "ring");
        await server.Get<IDeviceCommands>().RecordResultAsync(
            Domain.Blueprints.CanonicalHash.Sha256Hex(first.DeviceSecret), command.CommandId, new CommandOutcomeReport(true, "rang", null), server.Clock.GetUtcNow());
        await store.AcknowledgeAsync((await store.TakeBatchAsync(100))[^1].Sequence);
        server.Clock.Advance(TimeSpan.FromMinutes(1));
        var second = await server.EnrollAsync("SN-2");

        await store.ResendSnapshotAsync(2, server.Clock.GetUtcNow());
        var all = await store.TakeBatchAsync(100);
        var changes = WithoutAudit(all);

        AssertNoGaps(all, first: 3);
        Assert.Equal(2UL, store.State().AckedThrough);
        // First what the hub never saw (the second device's enrollment), then every record as it is now.
        Assert.Equal(
            [
                SiteChange.ChangeOneofCase.Enrolled, SiteChange.ChangeOneofCase.Transitioned, SiteChange.ChangeOneofCase.Transitioned,
                SiteChange.ChangeOneofCase.Enrolled, SiteChange.ChangeOneofCase.Transitioned, SiteChange.ChangeOneofCase.Status,
                SiteChange.ChangeOneofCase.Enrolled, SiteChange.ChangeOneofCase.Transitioned,
                SiteChange.ChangeOneofCase.CommandQueued, SiteChange.ChangeOneofCase.CommandResult,
            ],
            changes.Select(c => c.ChangeCase));
        Assert.Equal([second.DeviceId, second.DeviceId, second.DeviceId, first.DeviceId, first.DeviceId, first.DeviceId, second.DeviceId], changes.Take(7).Select(c => c.DeviceId));
        Assert.Equal("Staging", changes[4].Transitioned.ToState);
        Assert.Equal(61, BatteryIn(changes[5]));
        Assert.Equal((command.CommandId, "succeeded", "rang"), (changes[^1].CommandResult.CommandId, changes[^1].CommandResult.Status, changes[^1].CommandResult.Message));
        // The log carries on from there: the snapshot was taken, so the next check-in marks a new row.
        await server.CheckinOkAsync(first.DeviceSecret, Battery(62));
        var next = Assert.Single(await store.TakeBatchAsync(100));
        Assert.Equal((all[^1].Sequence + 1, 62), (next.Sequence, BatteryIn(next)));
    }

    /// <summary>The changes but the audit trail's records (AuditRecorded, one per state change: AuditTrailTests has them).</summary>
    private static List<SiteChange> WithoutAudit(IEnumerable<SiteChange> changes) =>
        changes.Where(c => c.ChangeCase != SiteChange.ChangeOneofCase.AuditRecorded).ToList();
}
