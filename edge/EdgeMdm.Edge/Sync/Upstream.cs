using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Storage;
using SQLite;

namespace EdgeMdm.Edge.Sync;

/// <summary>
/// Fills in what a status row of the outbox only marks: the device's status as stored when the push reads it
/// (status is state; the newest is what the hub wants). Declared here, answered by the feature that owns devices.
/// </summary>
public interface IUpstreamStatus
{
    StatusReported Current(SQLiteConnection db, string deviceId);
}

/// <summary>
/// What a feature that owns site records sends again when the hub lost what it had acknowledged (its database restored
/// from an older backup): one change per record, as the record is now. Site-owned records are the truth, so the hub
/// converges on them. Declared here, answered by the features that own such records.
/// </summary>
public interface ISiteSnapshot
{
    /// <summary>Where in the snapshot this feature's changes go: the records others refer to first (devices before their commands).</summary>
    int SnapshotOrder { get; }

    /// <summary>Appends, in the caller's unit, a change per record that the hub must hold.</summary>
    void AppendSnapshot(UnitOfWork unit, DateTimeOffset now);
}

/// <summary>The upstream side of sync (ADR 0001): the site's numbered outbox, as the sync worker takes it.</summary>
public interface IOutboxStore
{
    /// <summary>
    /// Up to <paramref name="maxChanges"/> changes after the last one taken since the last (re)connect (at first,
    /// the oldest unacknowledged), in sequence order, with their sequence set and status rows filled in.
    /// </summary>
    Task<IReadOnlyList<SiteChange>> TakeBatchAsync(int maxChanges);

    /// <summary>The hub holds everything up to <paramref name="appliedThrough"/>: deletes those rows. Idempotent; never goes backwards.</summary>
    Task AcknowledgeAsync(ulong appliedThrough);

    /// <summary>After Hello on a (re)connect: acknowledges what the hub holds and offers the rest again.</summary>
    Task ResetOfferedAsync(ulong appliedThroughAtHub);

    /// <summary>
    /// After Hello from a hub that holds less than it once acknowledged: numbers the log again from what it holds, with
    /// a snapshot of every record the site owns, so the hub converges with no manual step.
    /// </summary>
    Task ResendSnapshotAsync(ulong appliedThroughAtHub, DateTimeOffset now);

    /// <summary>
    /// After Hello from a hub that holds more of this site's log than <paramref name="heldThrough"/>, the log as this
    /// database had it when it was restored from a backup (or, with no restore recorded, as far as it was ever numbered):
    /// the appliance it replaced numbered and sent changes this one never had. Numbers on right after what the hub holds,
    /// keeps the changes made here since (the rows up to <paramref name="heldThrough"/> the hub has), then re-sends a
    /// snapshot of every record the site owns, which the hub's newer copies of them give way to.
    /// </summary>
    Task ResendSnapshotAfterRestoreAsync(ulong appliedThroughAtHub, ulong heldThrough, DateTimeOffset now);

    /// <summary>
    /// How far the hub may hold this site's log without holding changes this database never numbered: the log as it stood
    /// when the database was restored from a backup (until the first Hello after), else as far as it was ever numbered.
    /// </summary>
    ulong HeldThrough();

    OutboxState State();
}

internal sealed class SyncOutbox(EdgeStorage storage, IUpstreamStatus statuses, IEnumerable<ISiteSnapshot> snapshots) : IOutboxStore
{
    public Task<IReadOnlyList<SiteChange>> TakeBatchAsync(int maxChanges) =>
        storage.Outbox.TakeBatchAsync(maxChanges, (db, changes) =>
        {
            foreach (var change in changes)
            {
                if (change.ChangeCase != SiteChange.ChangeOneofCase.Status)
                    continue;
                change.Status = statuses.Current(db, change.DeviceId);
                // The marker keeps the time of the first check-in after the last push; the status is the newest.
                if (change.Status.LastCheckinUnixMs > 0)
                    change.AtUnixMs = change.Status.LastCheckinUnixMs;
            }
        });

    public Task AcknowledgeAsync(ulong appliedThrough) => storage.Outbox.AcknowledgeAsync(appliedThrough);

    public Task ResetOfferedAsync(ulong appliedThroughAtHub) => storage.Outbox.ResetOfferedAsync(appliedThroughAtHub);

    public OutboxState State() => storage.Outbox.State();

    public Task ResendSnapshotAsync(ulong appliedThroughAtHub, DateTimeOffset now) =>
        storage.Outbox.RebaseAsync(appliedThroughAtHub, unit => AppendSnapshots(unit, now));

    public Task ResendSnapshotAfterRestoreAsync(ulong appliedThroughAtHub, ulong heldThrough, DateTimeOffset now) =>
        storage.Outbox.RebaseAsync(appliedThroughAtHub, unit => AppendSnapshots(unit, now), heldThrough);

    public ulong HeldThrough() => storage.Outbox.HeldThrough();

    private void AppendSnapshots(UnitOfWork unit, DateTimeOffset now)
    {
        foreach (var snapshot in snapshots.OrderBy(s => s.SnapshotOrder))
            snapshot.AppendSnapshot(unit, now);
    }
}
