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

    OutboxState State();
}

internal sealed class SyncOutbox(EdgeStorage storage, IUpstreamStatus statuses) : IOutboxStore
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
}
