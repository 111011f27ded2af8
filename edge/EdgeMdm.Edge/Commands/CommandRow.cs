using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Edge.Storage;

namespace EdgeMdm.Edge.Commands;

internal sealed class CommandRow
{
    public const string Select =
        """
        SELECT id AS Id, device_id AS DeviceId, type AS Type, parameters AS Parameters, status AS Status, created_at AS CreatedAt,
               expires_at AS ExpiresAt, delivered_at AS DeliveredAt, result_message AS ResultMessage, created_by AS CreatedBy, origin AS Origin
        FROM commands
        """;

    // Mutable because sqlite-net sets properties one by one.
    public string Id { get; set; } = "";
    public string DeviceId { get; set; } = "";
    public string Type { get; set; } = "";
    public string Parameters { get; set; } = "{}";
    public string Status { get; set; } = "";
    public long CreatedAt { get; set; }
    public long? ExpiresAt { get; set; }
    public long? DeliveredAt { get; set; }
    public string? ResultMessage { get; set; }

    public string CreatedBy { get; set; } = "";

    /// <summary>hub | site: where the command was made (signed with it for the device).</summary>
    public string Origin { get; set; } = "site";

    // Only the snapshot for a restored hub selects this one.
    public long FinishedAt { get; set; }

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
        CreatedBy = row.Text(9),
        Origin = row.Text(10),
    };

    /// <summary>Who issued the command, as the device is told: <c>hub:ACCOUNT</c> or <c>site:NAME</c>.</summary>
    public string IssuedBy => Origin + ":" + CreatedBy;

    public CommandSummary ToSummary() => new(
        Id, DeviceId, Type, Status, DateTimeOffset.FromUnixTimeMilliseconds(CreatedAt),
        ExpiresAt is { } e ? DateTimeOffset.FromUnixTimeMilliseconds(e) : null,
        DeliveredAt is { } d ? DateTimeOffset.FromUnixTimeMilliseconds(d) : null,
        ResultMessage);
}

/// <summary>JSON the commands feature stores (parameters) and prints (<c>commands list --json</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<CommandSummary>))]
internal sealed partial class CommandsJson : JsonSerializerContext;
