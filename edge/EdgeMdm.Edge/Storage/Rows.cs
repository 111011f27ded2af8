using EdgeMdm.Domain.Lifecycle;

namespace EdgeMdm.Edge.Storage;

// Row shapes that sqlite-net fills by column alias. Mutable because sqlite-net sets properties one by one.

internal sealed class DeviceRow
{
    public const string Select =
        """
        SELECT id AS Id, serial AS Serial, model AS Model, manufacturer AS Manufacturer, os_version AS OsVersion,
               group_name AS GroupName, state AS State, enrollment_count AS EnrollmentCount, last_checkin_at AS LastCheckinAt,
               checkin_count AS CheckinCount, status AS Status, compliant AS Compliant, findings AS Findings
        FROM devices
        """;

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

    public DeviceState DeviceState => Enum.Parse<DeviceState>(State);

    /// <summary>The current row of a statement that selected <see cref="Select"/>, columns by position.</summary>
    public static DeviceRow Read(Statement row) => new()
    {
        Id = row.Text(0),
        Serial = row.Text(1),
        Model = row.Text(2),
        Manufacturer = row.Text(3),
        OsVersion = row.Text(4),
        GroupName = row.Text(5),
        State = row.Text(6),
        EnrollmentCount = (int)row.Long(7),
        LastCheckinAt = row.NullableLong(8),
        CheckinCount = row.Long(9),
        Status = row.Text(10),
        Compliant = (int)row.Long(11),
        Findings = row.Text(12),
    };
}

internal sealed class CommandRow
{
    public const string Select =
        """
        SELECT id AS Id, device_id AS DeviceId, type AS Type, parameters AS Parameters, status AS Status, created_at AS CreatedAt,
               expires_at AS ExpiresAt, delivered_at AS DeliveredAt, result_message AS ResultMessage
        FROM commands
        """;

    public string Id { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public string Type { get; set; } = "";
    public string Parameters { get; set; } = "{}";
    public string Status { get; set; } = "";
    public long CreatedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? DeliveredAt { get; set; }
    public string? ResultMessage { get; set; }

    /// <summary>The current row of a statement that selected <see cref="Select"/>, columns by position.</summary>
    public static CommandRow Read(Statement row) => new()
    {
        Id = row.Text(0),
        DeviceId = row.Text(1),
        Type = row.Text(2),
        Parameters = row.Text(3),
        Status = row.Text(4),
        CreatedAt = row.Long(5),
        ExpiresAt = row.NullableLong(6),
        DeliveredAt = row.NullableLong(7),
        ResultMessage = row.NullableText(8),
    };
}

internal sealed class TokenRow
{
    public string Prefix { get; set; } = "";
    public string GroupName { get; set; } = "";
    public int UsesAllowed { get; set; }
    public int UsesCount { get; set; }
    public long ExpiresAt { get; set; }
    public long CreatedAt { get; set; }
}

internal sealed class BlueprintRow
{
    public string GroupName { get; set; } = "";
    public string Blueprint { get; set; } = "";
}

internal sealed class TransitionRow
{
    public string? FromState { get; set; }
    public string ToState { get; set; } = "";
    public string Actor { get; set; } = "";
    public string Reason { get; set; } = "";
    public long At { get; set; }
}

internal sealed class AppVersionRow
{
    public string PackageName { get; set; } = "";
    public long VersionCode { get; set; }
    public string? VersionName { get; set; }
    public int Devices { get; set; }
}
