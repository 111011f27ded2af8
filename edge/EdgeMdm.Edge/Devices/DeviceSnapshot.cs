using EdgeMdm.Contracts.Sync;
using EdgeMdm.Edge.Storage;
using EdgeMdm.Edge.Sync;

namespace EdgeMdm.Edge.Devices;

/// <summary>
/// Every device as it is now, for a hub that lost what it had acknowledged: its enrollment, its current state, and a
/// status marker when it has checked in (the push fills in the status as stored when it reads the row).
/// </summary>
internal sealed class DeviceSnapshot : ISiteSnapshot
{
    public const string Reason = "sent again: the hub had lost this site's changes";

    public int SnapshotOrder => 0;

    public void AppendSnapshot(UnitOfWork unit, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(unit);
        // The markers point at rows the rebase renumbered; each device gets a new one below.
        unit.Db.Execute("UPDATE devices SET pending_status_sequence = NULL");
        var devices = unit.Db.Query<SnapshotRow>(
            """
            SELECT id AS Id, serial AS Serial, model AS Model, manufacturer AS Manufacturer, os_version AS OsVersion, agent_version AS AgentVersion,
                   group_name AS GroupName, state AS State, enrollment_count AS EnrollmentCount, last_checkin_at AS LastCheckinAt,
                   assignment AS Assignment
            FROM devices ORDER BY enrolled_at, id
            """);
        foreach (var device in devices)
        {
            var facts = new DeviceFacts(device.Serial, device.Model, device.Manufacturer, device.OsVersion, device.AgentVersion);
            Outbox.Append(unit, DeviceRegistry.Enrolled(device.Id, facts, device.GroupName, device.EnrollmentCount > 1, now));
            Outbox.Append(unit, new SiteChange
            {
                AtUnixMs = now.ToUnixTimeMilliseconds(),
                DeviceId = device.Id,
                Transitioned = new DeviceTransitioned { FromState = "", ToState = device.State, Actor = "appliance", Reason = Reason },
            });
            // The enrollment carries the group; who the device is handed out to is a reassignment of its own.
            if (device.Assignment is not null)
            {
                Outbox.Append(unit, new SiteChange
                {
                    AtUnixMs = now.ToUnixTimeMilliseconds(),
                    DeviceId = device.Id,
                    DeviceReassigned = new DeviceReassigned
                    {
                        FromGroup = device.GroupName, ToGroup = device.GroupName, ToAssignment = device.Assignment, Actor = "appliance", Reason = Reason,
                    },
                });
            }

            if (device.LastCheckinAt is not null)
                DeviceRegistry.MarkStatusChanged(unit, device.Id, now);
        }
    }

    private sealed class SnapshotRow
    {
        public string Id { get; set; } = "";
        public string Serial { get; set; } = "";
        public string Model { get; set; } = "";
        public string Manufacturer { get; set; } = "";
        public string OsVersion { get; set; } = "";
        public string AgentVersion { get; set; } = "";
        public string GroupName { get; set; } = "";
        public string State { get; set; } = "";
        public int EnrollmentCount { get; set; }
        public long? LastCheckinAt { get; set; }
        public string? Assignment { get; set; }
    }
}
