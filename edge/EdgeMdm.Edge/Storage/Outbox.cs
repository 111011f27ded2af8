using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Lifecycle;
using Google.Protobuf;
using SQLite;

namespace EdgeMdm.Edge.Storage;

/// <summary>
/// Appends the changes the site owns to the upstream log (docs/adr/0001-sync-protocol.md). Every method runs
/// inside the caller's writer unit, on the caller's connection, so the outbox row commits or rolls back with
/// the state change it describes. Sequence numbers come from the table (AUTOINCREMENT): assigned only on
/// append, never reused, and a rolled-back unit gives its number back, so the log has no holes.
/// </summary>
internal static class Outbox
{
    private const string Insert = "INSERT INTO outbox (at, device_id, kind, payload) VALUES (?1, ?2, ?3, ?4)";

    /// <summary>The device's status row if no push has read it yet (ADR 0001 point 3).</summary>
    private const string PendingStatus =
        """
        SELECT pending_status_sequence FROM devices
        WHERE id = ?1 AND pending_status_sequence > (SELECT offered_through FROM sync_state WHERE id = 1)
        """;

    public static void Enrolled(SQLiteConnection db, string deviceId, EnrollmentAttempt attempt, string group, bool reenrolled, long atMs) =>
        Append(db, new SiteChange
        {
            AtUnixMs = atMs,
            DeviceId = deviceId,
            Enrolled = new DeviceEnrolled
            {
                Serial = attempt.Serial,
                Model = attempt.Model,
                Manufacturer = attempt.Manufacturer,
                OsVersion = attempt.OsVersion,
                AgentVersion = attempt.AgentVersion,
                Group = group,
                Reenrolled = reenrolled,
            },
        });

    public static void Transitioned(SQLiteConnection db, string deviceId, DeviceState? from, DeviceState to, string actor, string reason, long atMs) =>
        Append(db, new SiteChange
        {
            AtUnixMs = atMs,
            DeviceId = deviceId,
            Transitioned = new DeviceTransitioned
            {
                FromState = from?.ToString() ?? "",
                ToState = to.ToString(),
                Actor = actor,
                Reason = reason,
            },
        });

    public static void CommandQueued(
        SQLiteConnection db, string deviceId, string commandId, string type, IReadOnlyDictionary<string, string> parameters, long? expiresMs, string actor, long atMs)
    {
        var queued = new CommandQueuedAtSite { CommandId = commandId, Type = type, ExpiresUnixMs = expiresMs ?? 0, CreatedBy = actor };
        foreach (var (name, value) in parameters)
            queued.Parameters[name] = value;
        Append(db, new SiteChange { AtUnixMs = atMs, DeviceId = deviceId, CommandQueued = queued });
    }

    /// <summary>status: delivered | succeeded | failed | expired.</summary>
    public static void CommandResult(SQLiteConnection db, string deviceId, string commandId, string status, string? message, long finishedMs, long atMs) =>
        Append(db, new SiteChange
        {
            AtUnixMs = atMs,
            DeviceId = deviceId,
            CommandResult = new CommandResultReported
            {
                CommandId = commandId,
                Status = status,
                Message = message ?? "",
                FinishedUnixMs = finishedMs,
            },
        });

    /// <summary>
    /// Status is state, not an event: the row is only a marker that the device's status changed, and the push
    /// reads the status (and its time, the last check-in) from the device's row when it takes the batch. While
    /// the device already has a marker no push has read, a check-in writes nothing here; otherwise it appends a
    /// new one. A row a push may have carried to the hub is never changed.
    /// </summary>
    public static void StatusReported(SQLiteConnection db, string deviceId, long atMs)
    {
        var find = db.Prepared(PendingStatus).Bind(1, deviceId);
        var pending = find.Step();
        find.Reset();
        if (pending)
            return;
        Append(db, new SiteChange { AtUnixMs = atMs, DeviceId = deviceId, Status = new StatusReported() });
        db.Prepared("UPDATE devices SET pending_status_sequence = last_insert_rowid() WHERE id = ?1").Bind(1, deviceId).Execute();
    }

    private static void Append(SQLiteConnection db, SiteChange change) =>
        db.Prepared(Insert)
            .Bind(1, change.AtUnixMs)
            .Bind(2, change.DeviceId)
            .Bind(3, KindOf(change.ChangeCase))
            .Bind(4, change.ToByteArray())
            .Execute();

    /// <summary>The <c>kind</c> column: the name of the SiteChange oneof field.</summary>
    public static string KindOf(SiteChange.ChangeOneofCase change) => change switch
    {
        SiteChange.ChangeOneofCase.Enrolled => "enrolled",
        SiteChange.ChangeOneofCase.Status => "status",
        SiteChange.ChangeOneofCase.CommandResult => "command_result",
        SiteChange.ChangeOneofCase.Transitioned => "transitioned",
        SiteChange.ChangeOneofCase.CommandQueued => "command_queued",
        _ => throw new ArgumentOutOfRangeException(nameof(change), change, "a site change must say what changed"),
    };
}
