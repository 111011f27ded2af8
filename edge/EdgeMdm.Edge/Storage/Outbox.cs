using EdgeMdm.Contracts.Sync;
using Google.Protobuf;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// Where the upstream log stands. <paramref name="Depth"/>: rows not yet acknowledged; <paramref name="OldestPendingAt"/>:
/// when the oldest of them happened (null when the outbox is empty), the sync lag; <paramref name="OfferedThrough"/>:
/// the highest sequence ever read for a push; <paramref name="AckedThrough"/>: the highest the hub acknowledged.
/// </summary>
public sealed record OutboxState(long Depth, DateTimeOffset? OldestPendingAt, ulong OfferedThrough, ulong AckedThrough);

/// <summary>
/// The site's upstream log (docs/adr/0001-sync-protocol.md): the changes the site owns, numbered. Features append in
/// their own writer unit (<see cref="Append"/>), so a row commits or rolls back with the state change it describes;
/// the sync worker takes, and after the hub's acknowledgement deletes, them. Sequence numbers come from the table
/// (AUTOINCREMENT): assigned only on append, never reused, and a rolled-back unit gives its number back, so the log
/// has no holes. Owns the <c>outbox</c> table and <c>sync_state</c>'s <c>offered_through</c> and <c>acked_through</c>.
/// </summary>
public sealed class Outbox
{
    private const string Insert = "INSERT INTO outbox (at, device_id, kind, payload) VALUES (?1, ?2, ?3, ?4)";

    private readonly GroupCommitWriter _writer;
    private readonly ReadPool _reads;

    /// <summary>
    /// The highest sequence handed to the sync worker since the last (re)connect: <see cref="TakeBatchAsync"/>
    /// continues after it. Touched only inside writer units (one thread). It starts at <c>acked_through</c>
    /// on open and is lowered only by <see cref="ResetOfferedAsync"/>; <c>offered_through</c> in the
    /// database, the coalescing watermark, is never lowered.
    /// </summary>
    private long _pushedThrough;

    internal Outbox(GroupCommitWriter writer, ReadPool reads, SQLiteConnection opened)
    {
        _writer = writer;
        _reads = reads;
        _pushedThrough = opened.ExecuteScalar<long>("SELECT acked_through FROM sync_state WHERE id = 1");
    }

    /// <summary>Appends <paramref name="change"/> in the caller's unit and returns its sequence.</summary>
    public static long Append(UnitOfWork unit, SiteChange change)
    {
        ArgumentNullException.ThrowIfNull(unit);
        ArgumentNullException.ThrowIfNull(change);
        unit.Db.Prepared(Insert)
            .Bind(1, change.AtUnixMs)
            .Bind(2, change.DeviceId)
            .Bind(3, KindOf(change.ChangeCase))
            .Bind(4, change.ToByteArray())
            .Execute();
        return unit.Db.Prepared("SELECT last_insert_rowid()").Scalar();
    }

    /// <summary>
    /// True while no push has read the row <paramref name="sequence"/> yet: its content may still change (a status
    /// marker folds later check-ins into itself). A row a push may have carried to the hub must never change.
    /// </summary>
    public static bool IsUnoffered(UnitOfWork unit, long sequence)
    {
        ArgumentNullException.ThrowIfNull(unit);
        return unit.Db.Prepared("SELECT ?1 > offered_through FROM sync_state WHERE id = 1").Bind(1, sequence).Scalar() != 0;
    }

    /// <summary>
    /// Up to <paramref name="maxChanges"/> changes after the last one taken since the last (re)connect (at first,
    /// the oldest unacknowledged), in sequence order, with their sequence set. The writer unit only claims them,
    /// raising the coalescing watermark past them so nothing folds into a row being pushed; reading and parsing
    /// happen on a read connection beside the writer, so a catch-up holds check-ins back by microseconds per batch.
    /// <paramref name="complete"/> runs on that same read connection, to fill in what a row only marks (a status).
    /// </summary>
    public async Task<IReadOnlyList<SiteChange>> TakeBatchAsync(int maxChanges, Action<SQLiteConnection, IReadOnlyList<SiteChange>>? complete = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxChanges);
        var (after, through) = await _writer.WriteAsync(unit =>
        {
            var after = _pushedThrough;
            var last = unit.Db.Prepared("SELECT max(sequence) FROM (SELECT sequence FROM outbox WHERE sequence > ?1 ORDER BY sequence LIMIT ?2)")
                .Bind(1, after)
                .Bind(2, maxChanges);
            var through = last.Step() ? last.NullableLong(0) ?? after : after;
            last.Reset();
            if (through > after)
            {
                unit.Db.Prepared("UPDATE sync_state SET offered_through = max(offered_through, ?1) WHERE id = 1").Bind(1, through).Execute();
                _pushedThrough = through;
            }

            return (after, through);
        });
        if (through == after)
            return [];
        return _reads.Read(db =>
        {
            var changes = ReadClaimed(db, after, through);
            complete?.Invoke(db, changes);
            return changes;
        });
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

        return changes;
    }

    /// <summary>The hub holds everything up to <paramref name="appliedThrough"/>: deletes those rows. Idempotent; never goes backwards.</summary>
    public Task AcknowledgeAsync(ulong appliedThrough) =>
        _writer.WriteAsync(unit =>
        {
            var through = ToSequence(appliedThrough);
            Acknowledge(unit.Db, through);
            _pushedThrough = Math.Max(_pushedThrough, through);
            return true;
        });

    /// <summary>
    /// After Hello on a (re)connect: acknowledges up to what the hub holds, and makes the next
    /// <see cref="TakeBatchAsync"/> start right after it, so rows offered on a lost stream are offered again.
    /// </summary>
    public Task ResetOfferedAsync(ulong appliedThroughAtHub) =>
        _writer.WriteAsync(unit =>
        {
            var db = unit.Db;
            var through = ToSequence(appliedThroughAtHub);
            Acknowledge(db, through);
            // A hub that holds more than this site ever numbered (the site's database was replaced): number
            // new changes above it, or the hub would take them for duplicates.
            db.Execute("UPDATE sqlite_sequence SET seq = ?1 WHERE name = 'outbox' AND seq < ?1", through);
            if (through > 0 && db.ExecuteScalar<long>("SELECT count(*) FROM sqlite_sequence WHERE name = 'outbox'") == 0)
                db.Execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", through);
            // The hub held no more than the restored log: it has nothing this site lacks, and the log goes on as it is.
            ForgetRestore(db);
            _pushedThrough = through;
            return true;
        });

    /// <summary>
    /// The hub holds less than it once acknowledged (its database was restored from an older backup): the rows it lost
    /// are deleted here. Starts the log again right after what the hub holds, in one unit: the rows not yet acknowledged
    /// (events the hub never saw; status markers aside, which the snapshot replaces) are numbered again from
    /// <paramref name="hubThrough"/> + 1, then <paramref name="appendSnapshot"/> appends what the site's records are now.
    /// With <paramref name="heldByHubThrough"/> (this database was restored from a backup, and the hub already holds the
    /// log as the backup had it, through that sequence), the rows up to it are dropped instead: the replaced appliance
    /// sent them. Only the rows this database numbered since its restore are kept.
    /// </summary>
    public Task RebaseAsync(ulong hubThrough, Action<UnitOfWork> appendSnapshot, ulong? heldByHubThrough = null)
    {
        ArgumentNullException.ThrowIfNull(appendSnapshot);
        return _writer.WriteAsync(unit =>
        {
            var db = unit.Db;
            var through = ToSequence(hubThrough);
            var held = heldByHubThrough is { } restored ? ToSequence(restored) : 0;
            var pending = db.Query<PendingRow>("SELECT at AS At, device_id AS DeviceId, kind AS Kind, payload AS Payload FROM outbox WHERE kind <> 'status' AND sequence > ? ORDER BY sequence", held);
            db.Execute("DELETE FROM outbox");
            db.Execute("UPDATE sqlite_sequence SET seq = ? WHERE name = 'outbox'", through);
            if (db.ExecuteScalar<long>("SELECT count(*) FROM sqlite_sequence WHERE name = 'outbox'") == 0)
                db.Execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('outbox', ?)", through);
            db.Execute("UPDATE sync_state SET acked_through = ?1, offered_through = ?1 WHERE id = 1", through);
            foreach (var row in pending)
                db.Execute("INSERT INTO outbox (at, device_id, kind, payload) VALUES (?, ?, ?, ?)", row.At, row.DeviceId, row.Kind, row.Payload);
            appendSnapshot(unit);
            ForgetRestore(db);
            _pushedThrough = through;
            return true;
        });
    }

    /// <summary>
    /// Marks a database just restored from a backup (before any appliance opened it) with where its log stood: the highest
    /// sequence it had numbered. Kept in the header's <c>user_version</c> (no table or migration of its own; written in
    /// the same transaction as what the first Hello after decides, so a crash leaves the mark or that decision, never
    /// half), stored plus one so that zero means "not restored". A mark already there stays: the log of a restore that
    /// never reached the hub is still the one to compare.
    /// </summary>
    public static void MarkRestored(SQLiteConnection db)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.ExecuteScalar<long>("PRAGMA user_version") > 0)
            return;
        db.Execute("PRAGMA user_version = " + (Head(db) + 1).ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// How far the hub may hold this site's log without holding changes this database never numbered: as far as the log
    /// stood when the database was restored (until the first Hello after), else as far as it was ever numbered (a
    /// database put back by hand). Never the cursors alone: wiped ones say nothing of what the log numbered.
    /// </summary>
    public ulong HeldThrough() => _reads.Read(db => RestoredThrough(db) ?? (ulong)Head(db));

    /// <summary>The highest sequence the log ever gave (AUTOINCREMENT never reuses one), never below what was acknowledged.</summary>
    private static long Head(SQLiteConnection db) => db.ExecuteScalar<long>(
        "SELECT max(coalesce((SELECT seq FROM sqlite_sequence WHERE name = 'outbox'), 0), coalesce((SELECT acked_through FROM sync_state WHERE id = 1), 0))");

    /// <summary>The highest sequence the log had when this database was restored, until the first Hello after; null otherwise.</summary>
    public ulong? RestoredThrough() => _reads.Read(RestoredThrough);

    private static ulong? RestoredThrough(SQLiteConnection db) =>
        db.ExecuteScalar<long>("PRAGMA user_version") is var mark and > 0 ? (ulong)(mark - 1) : null;

    private static void ForgetRestore(SQLiteConnection db)
    {
        if (db.ExecuteScalar<long>("PRAGMA user_version") > 0)
            db.Execute("PRAGMA user_version = 0");
    }

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
                select.NullableLong(1) is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
                (ulong)select.Long(2),
                (ulong)select.Long(3));
            select.Reset();
            return state;
        });

    private sealed class PendingRow
    {
        public long At { get; set; }

        public string? DeviceId { get; set; }

        public string Kind { get; set; } = "";

        public byte[] Payload { get; set; } = [];
    }

    internal static long ToSequence(ulong value) => value > long.MaxValue ? long.MaxValue : (long)value;

    /// <summary>The <c>kind</c> column: the name of the SiteChange oneof field.</summary>
    public static string KindOf(SiteChange.ChangeOneofCase change) => change switch
    {
        SiteChange.ChangeOneofCase.Enrolled => "enrolled",
        SiteChange.ChangeOneofCase.Status => "status",
        SiteChange.ChangeOneofCase.CommandResult => "command_result",
        SiteChange.ChangeOneofCase.Transitioned => "transitioned",
        SiteChange.ChangeOneofCase.CommandQueued => "command_queued",
        SiteChange.ChangeOneofCase.StagingStepReported => "staging_step_reported",
        SiteChange.ChangeOneofCase.StagingBatchCreated => "staging_batch_created",
        SiteChange.ChangeOneofCase.CustodyRecorded => "custody_recorded",
        SiteChange.ChangeOneofCase.DeviceReassigned => "device_reassigned",
        SiteChange.ChangeOneofCase.AuditRecorded => "audit_recorded",
        _ => throw new ArgumentOutOfRangeException(nameof(change), change, "a site change must say what changed"),
    };
}
