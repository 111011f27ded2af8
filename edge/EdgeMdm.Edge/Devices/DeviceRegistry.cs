using System.Security.Cryptography;
using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Storage;
using SQLite;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// The site's devices inside a writer unit (tables <c>devices</c>, <c>device_transitions</c>, <c>installed_apps</c>):
/// what enrollment, check-in and commands read and change in their own transaction. Every change the hub must
/// learn of goes to the outbox in the same unit (ADR 0001).
/// </summary>
public interface IDeviceRegistry
{
    DeviceRecord? BySecret(UnitOfWork unit, string secretHash);

    DeviceRecord? Find(UnitOfWork unit, string deviceIdOrSerial);

    DeviceRecord? BySerial(UnitOfWork unit, string serial);

    /// <summary>
    /// Whether <paramref name="secretHash"/> (SHA-256 hex of a bearer secret) is the device's current credential: the
    /// proof a re-enrolling device gives that it is the one the site knows.
    /// </summary>
    bool HoldsSecret(UnitOfWork unit, string deviceId, string secretHash);

    /// <summary>The devices of a group that are not retired, by serial, with their state (which commands each takes).</summary>
    IReadOnlyList<GroupMember> InGroup(UnitOfWork unit, string group);

    /// <summary>
    /// Records a new device, in state <see cref="DeviceState.Enrolling"/>; returns its id. <paramref name="stagingBatchId"/>:
    /// the staging batch whose token enrolled it, carried up with the enrollment (null: none).
    /// </summary>
    string Add(UnitOfWork unit, DeviceFacts facts, string group, DeviceCredential credential, string reason, DateTimeOffset now, string? stagingBatchId = null);

    /// <summary>
    /// A known device enrolls again (a wiped device): same record and history, new facts, group and credential (the old
    /// secret stops working), its reported status forgotten; it goes to <see cref="DeviceState.Enrolling"/>. Whether it
    /// may is the caller's decision (<see cref="Reenrollment"/>), made before.
    /// </summary>
    void Reenroll(UnitOfWork unit, DeviceRecord device, DeviceFacts facts, string group, DeviceCredential credential, string reason, DateTimeOffset now, string? stagingBatchId = null);

    /// <summary>Moves the device; throws <see cref="InvalidTransitionException"/> when the lifecycle does not allow it.</summary>
    StateTransition Transition(UnitOfWork unit, string deviceId, DeviceState current, DeviceState target, string actor, string reason, DateTimeOffset now);

    /// <summary>
    /// Stores what a check-in reported and judged, and marks the device's status for the hub; true. When it changes
    /// nothing the row holds (status, compliance, findings, held token, OS version) but the time, nothing is written:
    /// the sighting is kept in memory for a later batch (<see cref="UnsavedSightings"/>) once the unit commits; false.
    /// A device's first check-in is always written.
    /// </summary>
    bool RecordCheckin(UnitOfWork unit, string deviceId, CheckinWrite write);

    /// <summary>
    /// Gives the device <paramref name="group"/> and <paramref name="assignment"/> (who or what it is handed out to; null:
    /// unassigned) and writes <c>DeviceReassigned</c> to the outbox in the same unit (<paramref name="swapId"/>: the swap that
    /// made it, null otherwise). Nothing is written when both are already so. Throws when the device is unknown.
    /// </summary>
    void Reassign(UnitOfWork unit, string deviceId, string group, string? assignment, string actor, string reason, string? swapId, DateTimeOffset now);
}

internal sealed class DeviceRegistry(KnownSecrets secrets, IAuditLog audit, UnsavedSightings sightings) : IDeviceRegistry
{
    public DeviceRecord? BySecret(UnitOfWork unit, string secretHash) => DeviceRow.BySecret(unit.Db, secretHash);

    public DeviceRecord? Find(UnitOfWork unit, string deviceIdOrSerial) => DeviceRow.Find(unit.Db, deviceIdOrSerial);

    public DeviceRecord? BySerial(UnitOfWork unit, string serial) =>
        unit.Db.Query<DeviceRow>(DeviceRow.Select + " WHERE serial = ?", serial).FirstOrDefault()?.ToRecord();

    public bool HoldsSecret(UnitOfWork unit, string deviceId, string secretHash) =>
        unit.Db.ExecuteScalar<long>("SELECT count(*) FROM devices WHERE id = ? AND secret_hash = ?", deviceId, secretHash) > 0;

    public IReadOnlyList<GroupMember> InGroup(UnitOfWork unit, string group) =>
        unit.Db.Query<GroupMemberRow>("SELECT id AS Id, state AS State FROM devices WHERE group_name = ? AND state <> 'Retired' ORDER BY serial", group)
            .Select(r => new GroupMember(r.Id, Enum.Parse<DeviceState>(r.State)))
            .ToList();

    public string Add(UnitOfWork unit, DeviceFacts facts, string group, DeviceCredential credential, string reason, DateTimeOffset now, string? stagingBatchId = null)
    {
        var deviceId = "dev-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));
        unit.Db.Execute(
            """
            INSERT INTO devices (id, serial, model, manufacturer, os_version, agent_version, group_name, state, secret_hash, broker_hash, enrolled_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            deviceId, facts.Serial, facts.Model, facts.Manufacturer, facts.OsVersion, facts.AgentVersion,
            group, nameof(DeviceState.Enrolling), credential.SecretHash, credential.BrokerHash, now.ToUnixTimeMilliseconds());
        Outbox.Append(unit, Enrolled(deviceId, facts, group, reenrolled: false, now, stagingBatchId));
        RecordTransition(unit, deviceId, null, DeviceState.Enrolling, "device " + facts.Serial, reason, now);
        return deviceId;
    }

    // The hub starts the status afresh on the enrollment, so a status marker from before it (which a push reads after
    // this) must not stand for the check-ins that follow: the next one appends its own.
    public void Reenroll(UnitOfWork unit, DeviceRecord device, DeviceFacts facts, string group, DeviceCredential credential, string reason, DateTimeOffset now, string? stagingBatchId = null)
    {
        unit.Db.Execute(
            """
            UPDATE devices SET model = ?, manufacturer = ?, os_version = ?, agent_version = ?, group_name = ?, secret_hash = ?, broker_hash = ?,
                enrolled_at = ?, enrollment_count = enrollment_count + 1, reported_declarations_token = NULL, status = '{}',
                compliant = 0, findings = '[]', pending_status_sequence = NULL
            WHERE id = ?
            """,
            facts.Model, facts.Manufacturer, facts.OsVersion, facts.AgentVersion, group, credential.SecretHash, credential.BrokerHash,
            now.ToUnixTimeMilliseconds(), device.Id);
        unit.Db.Execute("DELETE FROM installed_apps WHERE device_id = ?", device.Id);
        unit.OnCommitted(() => secrets.Forget(device.Id));
        Outbox.Append(unit, Enrolled(device.Id, facts, group, reenrolled: true, now, stagingBatchId));
        // A device left in Enrolling (only data from before operators lost that move) is there already: nothing moves.
        if (device.State != DeviceState.Enrolling)
            Transition(unit, device.Id, device.State, DeviceState.Enrolling, "device " + facts.Serial, reason, now);
    }

    public StateTransition Transition(UnitOfWork unit, string deviceId, DeviceState current, DeviceState target, string actor, string reason, DateTimeOffset now)
    {
        var transition = DeviceLifecycle.Transition(current, target, actor, reason, now);
        unit.Db.Execute("UPDATE devices SET state = ? WHERE id = ?", target.ToString(), deviceId);
        RecordTransition(unit, deviceId, current, target, actor, reason, now);
        return transition;
    }

    public void Reassign(UnitOfWork unit, string deviceId, string group, string? assignment, string actor, string reason, string? swapId, DateTimeOffset now)
    {
        var device = DeviceRow.Find(unit.Db, deviceId) ?? throw new InvalidOperationException($"no device {deviceId} at this site");
        if (string.Equals(device.Group, group, StringComparison.Ordinal) && string.Equals(device.Assignment, assignment, StringComparison.Ordinal))
            return;
        unit.Db.Execute("UPDATE devices SET group_name = ?, assignment = ? WHERE id = ?", group, assignment, device.Id);
        Outbox.Append(unit, new SiteChange
        {
            AtUnixMs = now.ToUnixTimeMilliseconds(),
            DeviceId = device.Id,
            DeviceReassigned = new DeviceReassigned
            {
                FromGroup = device.Group,
                ToGroup = group,
                FromAssignment = device.Assignment ?? "",
                ToAssignment = assignment ?? "",
                Actor = actor,
                Reason = reason,
                SwapId = swapId ?? "",
            },
        });
    }

    /// <summary>Records a lifecycle change in the device's history and, in the same unit, in the outbox.</summary>
    private void RecordTransition(UnitOfWork unit, string deviceId, DeviceState? from, DeviceState to, string actor, string reason, DateTimeOffset now)
    {
        unit.Db.Execute(
            "INSERT INTO device_transitions (device_id, from_state, to_state, actor, reason, at) VALUES (?, ?, ?, ?, ?, ?)",
            deviceId, from?.ToString(), to.ToString(), actor, reason, now.ToUnixTimeMilliseconds());
        Outbox.Append(unit, new SiteChange
        {
            AtUnixMs = now.ToUnixTimeMilliseconds(),
            DeviceId = deviceId,
            Transitioned = new DeviceTransitioned { FromState = from?.ToString() ?? "", ToState = to.ToString(), Actor = actor, Reason = reason },
        });
        audit.Record(unit, new AuditEntry(actor, AuditActions.StateChanged, deviceId, Detail: $"{from?.ToString() ?? "new"} → {to}: {reason}"), now);
    }

    public bool RecordCheckin(UnitOfWork unit, string deviceId, CheckinWrite write)
    {
        var db = unit.Db;
        // The WHERE keeps the row's page untouched when nothing but the time would change (a NULL status binds "keep it").
        var update = db.Prepared(
            """
            UPDATE devices SET status = coalesce(?1, status), compliant = ?2, findings = ?3, last_checkin_at = ?4, checkin_count = checkin_count + 1,
                reported_declarations_token = ?5, os_version = coalesce(?6, os_version)
            WHERE id = ?7
              AND (last_checkin_at IS NULL OR status IS NOT coalesce(?1, status) OR compliant IS NOT ?2 OR findings IS NOT ?3
                   OR reported_declarations_token IS NOT ?5 OR os_version IS NOT coalesce(?6, os_version))
            """);
        var changed = update
            .Bind(1, write.StatusJson)
            .Bind(2, write.Compliant ? 1 : 0)
            .Bind(3, JsonSerializer.Serialize(write.Findings as List<Domain.Drift.DriftFinding> ?? [.. write.Findings], DevicesJson.Default.ListDriftFinding))
            .Bind(4, write.At.ToUnixTimeMilliseconds())
            .Bind(5, write.HeldDeclarationsToken)
            .Bind(6, write.ReportedOsVersion)
            .Bind(7, deviceId)
            .ExecuteCounted() > 0;
        if (!changed)
        {
            var at = write.At.ToUnixTimeMilliseconds();
            unit.OnCommitted(() => sightings.Record(deviceId, at));
            return false;
        }

        MarkStatusChanged(unit, deviceId, write.At);
        // The apps are part of the status: a status that did not change reported the same ones.
        if (write.Apps is { } apps)
            ReplaceInstalledApps(db, deviceId, apps);
        return true;
    }

    /// <summary>
    /// Writes sightings kept in memory (<see cref="UnsavedSightings"/>): each device's last check-in time, if later than
    /// its row's, and the check-ins counted, with a status marker so the hub learns the time too.
    /// </summary>
    internal static void WriteSightings(UnitOfWork unit, IEnumerable<KeyValuePair<string, Sighting>> seen)
    {
        var update = unit.Db.Prepared(
            "UPDATE devices SET last_checkin_at = max(coalesce(last_checkin_at, 0), ?1), checkin_count = checkin_count + ?2 WHERE id = ?3");
        foreach (var (deviceId, sighting) in seen)
        {
            update.Reset();
            if (update.Bind(1, sighting.AtMs).Bind(2, sighting.Checkins).Bind(3, deviceId).ExecuteCounted() > 0)
                MarkStatusChanged(unit, deviceId, DateTimeOffset.FromUnixTimeMilliseconds(sighting.AtMs));
        }
    }

    /// <summary>
    /// Status is state, not an event: the outbox row is only a marker that the device's status changed, and the push
    /// reads the status (and its time, the last check-in) from the device's row when it takes the batch. While the
    /// device already has a marker no push has read, a check-in writes nothing there; otherwise it appends a new one.
    /// </summary>
    internal static void MarkStatusChanged(UnitOfWork unit, string deviceId, DateTimeOffset at)
    {
        var pending = unit.Db.Prepared("SELECT pending_status_sequence FROM devices WHERE id = ?1").Bind(1, deviceId).Scalar();
        if (pending > 0 && Outbox.IsUnoffered(unit, pending))
            return;
        var sequence = Outbox.Append(unit, new SiteChange { AtUnixMs = at.ToUnixTimeMilliseconds(), DeviceId = deviceId, Status = new StatusReported() });
        unit.Db.Prepared("UPDATE devices SET pending_status_sequence = ?1 WHERE id = ?2").Bind(1, sequence).Bind(2, deviceId).Execute();
    }

    private static void ReplaceInstalledApps(SQLiteConnection db, string deviceId, IReadOnlyList<Contracts.Device.InstalledApp> apps)
    {
        db.Prepared("DELETE FROM installed_apps WHERE device_id = ?1").Bind(1, deviceId).Execute();
        var insert = db.Prepared("INSERT OR REPLACE INTO installed_apps (device_id, package_name, version_code, version_name) VALUES (?1, ?2, ?3, ?4)");
        foreach (var app in apps)
        {
            insert.Reset();
            insert.Bind(1, deviceId).Bind(2, app.PackageName).Bind(3, app.VersionCode).Bind(4, app.VersionName).Execute();
        }
    }

    internal static SiteChange Enrolled(string deviceId, DeviceFacts facts, string group, bool reenrolled, DateTimeOffset at, string? stagingBatchId = null) => new()
    {
        AtUnixMs = at.ToUnixTimeMilliseconds(),
        DeviceId = deviceId,
        Enrolled = new DeviceEnrolled
        {
            Serial = facts.Serial,
            Model = facts.Model,
            Manufacturer = facts.Manufacturer,
            OsVersion = facts.OsVersion,
            AgentVersion = facts.AgentVersion,
            Group = group,
            Reenrolled = reenrolled,
            BatchId = stagingBatchId ?? "",
        },
    };
}
