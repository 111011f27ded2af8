using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using SQLite;

namespace EdgeMdm.Edge.Storage;

// The sync side of the store (docs/adr/0001-sync-protocol.md): reading and acknowledging the upstream
// outbox, and applying the hub's downstream feed.
public sealed partial class SqliteEdgeStore
{
    /// <summary>
    /// The highest sequence handed to the sync worker since the last (re)connect: <see cref="TakeBatchAsync"/>
    /// continues after it. Touched only inside writer units (one thread). It starts at <c>acked_through</c>
    /// on open and is lowered only by <see cref="ResetOfferedAsync"/>; <c>offered_through</c> in the
    /// database, the coalescing watermark, is never lowered.
    /// </summary>
    private long _pushedThrough;

    // ---- upstream ---------------------------------------------------------------------------------------

    /// <summary>
    /// The next rows after the last batch handed out. The writer unit only claims them, raising the coalescing
    /// watermark past them so no check-in folds into a row being pushed; reading and parsing them happens on a
    /// read connection, beside the writer, so a catch-up holds check-ins back by microseconds per batch, not by
    /// the batch's whole decode. Claimed rows cannot change afterwards: coalescing writes only above the
    /// watermark and only this worker's acknowledgement deletes rows.
    /// </summary>
    public async Task<IReadOnlyList<SiteChange>> TakeBatchAsync(int maxChanges)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChanges);
        var (after, through) = await _writer.WriteAsync(db =>
        {
            var after = _pushedThrough;
            var last = db.Prepared("SELECT max(sequence) FROM (SELECT sequence FROM outbox WHERE sequence > ?1 ORDER BY sequence LIMIT ?2)")
                .Bind(1, after)
                .Bind(2, maxChanges);
            var through = last.Step() ? last.NullableLong(0) ?? after : after;
            last.Reset();
            if (through > after)
            {
                db.Prepared("UPDATE sync_state SET offered_through = max(offered_through, ?1) WHERE id = 1").Bind(1, through).Execute();
                _pushedThrough = through;
            }

            return (after, through);
        });
        return through == after ? [] : _reads.Read(db => ReadClaimed(db, after, through));
    }

    private static List<SiteChange> ReadClaimed(SQLiteConnection db, long after, long through)
    {
        var changes = new List<SiteChange>();
        var select = db.Prepared("SELECT sequence, payload FROM outbox WHERE sequence > ?1 AND sequence <= ?2 ORDER BY sequence")
            .Bind(1, after)
            .Bind(2, through);
        try
        {
            while (select.Step())
            {
                var change = SiteChange.Parser.ParseFrom(select.Blob(1));
                change.Sequence = (ulong)select.Long(0);
                changes.Add(change);
            }
        }
        finally
        {
            select.Reset();
        }

        foreach (var change in changes)
        {
            if (change.ChangeCase != SiteChange.ChangeOneofCase.Status)
                continue;
            change.Status = CurrentStatus(db, change.DeviceId);
            // The marker keeps the time of the first check-in after the last push; the status is the newest.
            if (change.Status.LastCheckinUnixMs > 0)
                change.AtUnixMs = change.Status.LastCheckinUnixMs;
        }

        return changes;
    }

    /// <summary>What a status row stands for: the device's status as stored now (see CheckinAsync).</summary>
    private static Contracts.Sync.StatusReported CurrentStatus(SQLiteConnection db, string deviceId)
    {
        var select = db.Prepared("SELECT status, compliant, findings, coalesce(last_checkin_at, 0), reported_declarations_token FROM devices WHERE id = ?1").Bind(1, deviceId);
        try
        {
            if (!select.Step())
                return new Contracts.Sync.StatusReported();
            var findings = JsonSerializer.Deserialize(select.Text(2), EdgeJson.Default.ListDriftFinding) ?? [];
            return Reported(select.Text(0), select.Long(1) != 0, findings, select.NullableText(4), select.Long(3));
        }
        finally
        {
            select.Reset();
        }
    }

    public Task AcknowledgeAsync(ulong appliedThrough) =>
        _writer.WriteAsync(db =>
        {
            var through = ToSequence(appliedThrough);
            Acknowledge(db, through);
            _pushedThrough = Math.Max(_pushedThrough, through);
            return true;
        });

    public Task ResetOfferedAsync(ulong appliedThroughAtHub) =>
        _writer.WriteAsync(db =>
        {
            var through = ToSequence(appliedThroughAtHub);
            Acknowledge(db, through);
            // A hub that holds more than this site ever numbered (the site's database was replaced): number
            // new changes above it, or the hub would take them for duplicates.
            db.Execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox' AND seq < ?1", through);
            if (through > 0 && db.ExecuteScalar<long>("SELECT count(*) FROM sqlite_sequence WHERE name = 'outbox'") == 0)
                db.Execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", through);
            _pushedThrough = through;
            return true;
        });

    /// <summary>Deletes what the hub holds and records it; neither acked_through nor offered_through goes down.</summary>
    private static void Acknowledge(SQLiteConnection db, long through)
    {
        db.Prepared("DELETE FROM outbox WHERE sequence <= ?1").Bind(1, through).Execute();
        db.Prepared("UPDATE sync_state SET acked_through = max(acked_through, ?1), offered_through = max(offered_through, ?1) WHERE id = 1")
            .Bind(1, through)
            .Execute();
    }

    public OutboxState State() =>
        _reads.Read(db =>
        {
            var select = db.Prepared(
                """
                SELECT (SELECT count(*) FROM outbox), (SELECT at FROM outbox ORDER BY sequence LIMIT 1), offered_through, acked_through
                FROM sync_state WHERE id = 1
                """);
            if (!select.Step())
                throw new InvalidDataException("sync_state has no row; migration 0002 did not run");
            var state = new OutboxState(
                select.Long(0),
                select.NullableLong(1) is { } at ? FromMs(at) : null,
                (ulong)select.Long(2),
                (ulong)select.Long(3));
            select.Reset();
            return state;
        });

    private static long ToSequence(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    // ---- downstream -------------------------------------------------------------------------------------

    public ulong FeedPosition => (ulong)_reads.Read(db => db.ExecuteScalar<long>("SELECT feed_position FROM sync_state WHERE id = 1"));

    public async Task ApplyDownstreamAsync(DownstreamBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var blueprintsChanged = await _writer.WriteAsync(db => ApplyDownstream(db, batch));
        if (batch.Changes.Any(c => c.ChangeCase == HubChange.ChangeOneofCase.CommandQueued))
            WakesQueued.Pulse();
        if (blueprintsChanged)
            ReloadBlueprints();
    }

    /// <summary>
    /// One writer unit: every change of the batch, idempotent by key, and the new feed position. A batch at or
    /// behind the stored position, and any change at or behind it, is skipped. Returns whether blueprints, packages
    /// or the signing key changed (all three shape the declarations).
    /// </summary>
    private static bool ApplyDownstream(SQLiteConnection db, DownstreamBatch batch)
    {
        var stored = db.ExecuteScalar<long>("SELECT feed_position FROM sync_state WHERE id = 1");
        var through = ToSequence(batch.ThroughPosition);
        if (through <= stored)
            return false;

        var blueprintsChanged = false;
        foreach (var change in batch.Changes)
        {
            if (ToSequence(change.Position) <= stored)
                continue;
            switch (change.ChangeCase)
            {
                case HubChange.ChangeOneofCase.BlueprintUpserted:
                    var json = change.BlueprintUpserted.BlueprintJson;
                    var blueprint = JsonSerializer.Deserialize(json, EdgeJson.Default.Blueprint)
                        ?? throw new InvalidDataException("blueprint of group " + change.BlueprintUpserted.Group + " is empty");
                    // The message's group is the key; the JSON's own group field cannot move it elsewhere.
                    UpsertBlueprint(db, blueprint with { Group = change.BlueprintUpserted.Group }, change.AtUnixMs);
                    blueprintsChanged = true;
                    break;
                case HubChange.ChangeOneofCase.BlueprintDeleted:
                    db.Execute("DELETE FROM blueprints WHERE group_name = ?", change.BlueprintDeleted.Group);
                    blueprintsChanged = true;
                    break;
                case HubChange.ChangeOneofCase.TokenIssued:
                    IssueToken(db, change.TokenIssued, change.AtUnixMs);
                    break;
                case HubChange.ChangeOneofCase.TokenRevoked:
                    db.Execute("DELETE FROM enrollment_tokens WHERE token_hash = ?", change.TokenRevoked.TokenHash);
                    break;
                case HubChange.ChangeOneofCase.CommandQueued:
                    QueueFromHub(db, change.CommandQueued, change.AtUnixMs);
                    break;
                case HubChange.ChangeOneofCase.SiteRenamed:
                    db.Execute(
                        "INSERT INTO site (id, site_id, name) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET site_id = excluded.site_id, name = excluded.name",
                        change.SiteRenamed.SiteId, change.SiteRenamed.Name);
                    break;
                case HubChange.ChangeOneofCase.SiteUserUpserted:
                    UpsertSiteUser(db, change.SiteUserUpserted, change.AtUnixMs);
                    break;
                case HubChange.ChangeOneofCase.SiteUserRemoved:
                    RemoveSiteUser(db, change.SiteUserRemoved);
                    break;
                case HubChange.ChangeOneofCase.PackagePublished:
                    blueprintsChanged |= StorePackage(db, change.PackagePublished, change.AtUnixMs);
                    break;
                case HubChange.ChangeOneofCase.SigningKey:
                    blueprintsChanged |= StoreSigningKey(db, change.SigningKey, change.AtUnixMs);
                    break;
                default:
                    // A kind this appliance does not know (a newer hub): skipped, the position still moves on.
                    break;
            }
        }

        db.Execute("UPDATE sync_state SET feed_position = ? WHERE id = 1", through);
        return blueprintsChanged;
    }

    /// <summary>
    /// Inserts the token by hash; a re-issue changes its allowance, expiry and group but never its use count.
    /// A token with no uses left to give can enroll nobody and is removed.
    /// </summary>
    private static void IssueToken(SQLiteConnection db, EnrollmentTokenIssued token, long atMs)
    {
        if (token.Uses == 0)
        {
            db.Execute("DELETE FROM enrollment_tokens WHERE token_hash = ?", token.TokenHash);
            return;
        }

        db.Execute(
            """
            INSERT INTO enrollment_tokens (token_hash, token_prefix, group_name, uses_allowed, expires_at, created_at, created_by)
            VALUES (?, ?, ?, ?, ?, ?, 'hub')
            ON CONFLICT (token_hash) DO UPDATE SET uses_allowed = excluded.uses_allowed, expires_at = excluded.expires_at, group_name = excluded.group_name
            """,
            token.TokenHash, token.TokenPrefix, token.Group, (long)token.Uses, token.ExpiresUnixMs, atMs);
    }

    /// <summary>
    /// Queues a hub command once (by id). One for a device that is not here, or is retired, is not stored: its
    /// failure goes up the outbox so the operator sees why it will never run.
    /// </summary>
    private static void QueueFromHub(SQLiteConnection db, CommandQueued command, long atMs)
    {
        var state = db.ExecuteScalar<string?>("SELECT state FROM devices WHERE id = ?", command.DeviceId);
        if (state is null || !DeviceLifecycle.MayCheckIn(Enum.Parse<DeviceState>(state)))
        {
            var why = state is null ? "device not at this site" : "device retired";
            Outbox.CommandResult(db, command.DeviceId, command.CommandId, "failed", why, atMs, atMs);
            return;
        }

        var parameters = command.Parameters.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);
        var inserted = db.Execute(
            """
            INSERT INTO commands (id, device_id, type, parameters, status, created_at, created_by, expires_at)
            VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """,
            command.CommandId, command.DeviceId, command.Type, JsonSerializer.Serialize(parameters, EdgeJson.Default.DictionaryStringString),
            atMs, command.CreatedBy, command.ExpiresUnixMs == 0 ? null : command.ExpiresUnixMs);
        if (inserted == 1)
            QueueWake(db, command.DeviceId, WakeReasons.Command, atMs);
    }
}
