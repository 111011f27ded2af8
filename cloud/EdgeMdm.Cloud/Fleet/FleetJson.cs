using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>The JSON of the fleet's device rows, with the options of <see cref="Storage.CloudJson"/>.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<StoredFinding>))]
internal sealed partial class FleetJson : JsonSerializerContext;

internal sealed record StoredFinding(string? Item, string? Expected, string? Actual, string? Severity);
