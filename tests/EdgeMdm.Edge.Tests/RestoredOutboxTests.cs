using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Edge.Tests;

/// <summary>
/// The outbox of a database restored from a backup, when the hub holds more of the site's log than the backup had: the
/// rows the backup held are the hub's already, the rows made since the restore go up numbered after what the hub holds,
/// then the snapshot of the site's records.
/// </summary>
public sealed class RestoredOutboxTests
{
    [Fact]
    public async Task After_a_restore_the_log_goes_on_above_the_hub_with_what_was_made_since_and_then_the_snapshot()
    {
        // Arrange: a log as a backup had it, marked restored; then a device enrolled on the restored box
        await using var server = await EdgeServer.StartAsync();
        await server.EnrollAsync("SN-IN-BACKUP");
        var storage = server.Get<EdgeStorage>();
        await storage.WriteAsync(unit =>
        {
            Outbox.MarkRestored(unit.Db);
            return true;
        });
        var outbox = server.Get<IOutboxStore>();
        var restoredThrough = storage.Outbox.RestoredThrough()!.Value;
        var since = await server.EnrollAsync("SN-SINCE");
        var hubThrough = restoredThrough + 50;

        // Act: what the first Hello decides when the hub holds more than the mark
        var held = outbox.HeldThrough();
        await outbox.ResendSnapshotAfterRestoreAsync(hubThrough, held, server.Clock.GetUtcNow());
        var sent = await outbox.TakeBatchAsync(1000);

        // Assert: the mark, not the log's head, is what the hub is compared with; numbered on from the hub; the mark gone
        Assert.Equal(restoredThrough, held);
        Assert.Equal(Enumerable.Range(1, sent.Count).Select(i => hubThrough + (ulong)i), sent.Select(c => c.Sequence));
        Assert.Equal((SiteChange.ChangeOneofCase.Enrolled, since.DeviceId), (sent[0].ChangeCase, sent[0].DeviceId));
        // The enrollment made since the restore goes up as it happened and in the snapshot; the backup's own rows only in it.
        Assert.Equal(2, sent.Count(c => string.Equals(c.Enrolled?.Serial, "SN-SINCE", StringComparison.Ordinal)));
        Assert.Single(sent, c => string.Equals(c.Enrolled?.Serial, "SN-IN-BACKUP", StringComparison.Ordinal));
        Assert.Null(storage.Outbox.RestoredThrough());
    }

    [Fact]
    public async Task Wiped_cursors_are_not_a_restore_the_log_holds_as_far_as_it_ever_numbered()
    {
        // Arrange: a log the hub acknowledged, then its cursors wiped (nothing is left to send, the cursors say 0)
        await using var server = await EdgeServer.StartAsync();
        await server.EnrollAsync("SN-1");
        await server.EnrollAsync("SN-2");
        var outbox = server.Get<IOutboxStore>();
        var sent = await outbox.TakeBatchAsync(1000);
        await outbox.AcknowledgeAsync(sent[^1].Sequence);
        await server.Get<EdgeStorage>().WriteAsync(unit => unit.Db.Execute("UPDATE sync_state SET acked_through = 0, offered_through = 0"));

        // Act
        var held = outbox.HeldThrough();

        // Assert: a hub holding all of it is not taken for one holding changes this database never numbered
        Assert.Equal((0, 0UL), (outbox.State().Depth, outbox.State().AckedThrough));
        Assert.Equal(sent[^1].Sequence, held);
    }
}
