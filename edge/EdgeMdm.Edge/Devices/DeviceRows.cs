using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Edge.Storage;
using SQLite;

namespace EdgeMdm.Edge.Devices;

/// <summary>How a <see cref="DeviceRecord"/> is read: one column list for sqlite-net's mapping and for compiled statements.</summary>
internal sealed class DeviceRow
{
    public const string Select =
        """
        SELECT id AS Id, serial AS Serial, model AS Model, manufacturer AS Manufacturer, os_version AS OsVersion,
               group_name AS GroupName, state AS State, enrollment_count AS EnrollmentCount, last_checkin_at AS LastCheckinAt,
               checkin_count AS CheckinCount, status AS Status, compliant AS Compliant, findings AS Findings,
               assignment AS Assignment, enrolled_at AS EnrolledAt
        FROM devices
        """;

    // Mutable because sqlite-net sets properties one by one.
    public string Id { get; set; } = "";
    public string Serial { get; set; } = "";
    public string Model { get; set; } = "";
    public string Manufacturer { get; set; } = "";
    public string OsVersion { get; set; } = "";
    public string GroupName { get; set; } = "";
    public string State { get; set; } = "";
    public int EnrollmentCount { get; set; }
    public long? LastCheckinAt { get; set; }
    public long CheckinCount { get; set; }
    public string Status { get; set; } = "{}";
    public int Compliant { get; set; }
    public string Findings { get; set; } = "[]";
    public string? Assignment { get; set; }
    public long? EnrolledAt { get; set; }

    public DeviceRecord ToRecord() => new(
        Id, Serial, Model, Manufacturer, OsVersion, GroupName, Enum.Parse<DeviceState>(State), EnrollmentCount,
        LastCheckinAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, CheckinCount, Status, Compliant != 0, Findings, Assignment,
        EnrolledAt is { } enrolled ? DateTimeOffset.FromUnixTimeMilliseconds(enrolled) : null);

    /// <summary>The current row of a compiled statement that selected <see cref="Select"/>, columns by position.</summary>
    public static DeviceRecord Read(Statement row) => new(
        row.Text(0), row.Text(1), row.Text(2), row.Text(3), row.Text(4), row.Text(5), Enum.Parse<DeviceState>(row.Text(6)), (int)row.Long(7),
        row.NullableLong(8) is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null, row.Long(9), row.Text(10), row.Long(11) != 0, row.Text(12),
        row.NullableText(13), row.NullableLong(14) is { } enrolled ? DateTimeOffset.FromUnixTimeMilliseconds(enrolled) : null);

    /// <summary>The device holding this secret, on the hot path of every device request.</summary>
    public static DeviceRecord? BySecret(SQLiteConnection db, string secretHash)
    {
        var select = db.Prepared(Select + " WHERE secret_hash = ?").Bind(1, secretHash);
        var device = select.Step() ? Read(select) : null;
        select.Reset();
        return device;
    }

    public static DeviceRecord? Find(SQLiteConnection db, string deviceIdOrSerial) =>
        db.Query<DeviceRow>(Select + " WHERE id = ?1 OR serial = ?1", deviceIdOrSerial).FirstOrDefault()?.ToRecord();
}

internal sealed class GroupMemberRow
{
    public string Id { get; set; } = "";
    public string State { get; set; } = "";
}

internal sealed class TransitionRow
{
    public string? FromState { get; set; }
    public string ToState { get; set; } = "";
    public string Actor { get; set; } = "";
    public string Reason { get; set; } = "";
    public long At { get; set; }

    public StateTransitionRecord ToRecord() => new(
        FromState is null ? null : Enum.Parse<DeviceState>(FromState), Enum.Parse<DeviceState>(ToState), Actor, Reason,
        DateTimeOffset.FromUnixTimeMilliseconds(At));
}

internal sealed class AppVersionRow
{
    public string PackageName { get; set; } = "";
    public long VersionCode { get; set; }
    public string? VersionName { get; set; }
    public int Devices { get; set; }
}
