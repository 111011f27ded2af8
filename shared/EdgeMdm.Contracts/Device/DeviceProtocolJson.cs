using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeMdm.Contracts.Device;

/// <summary>
/// Source-generated JSON for the device protocol: camelCase names, nulls left out, no reflection. Both the
/// appliance and the agent use it, so the wire format is defined in exactly one place.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    AllowTrailingCommas = false,
    ReadCommentHandling = JsonCommentHandling.Disallow)]
[JsonSerializable(typeof(EnrollRequest))]
[JsonSerializable(typeof(EnrollResponse))]
[JsonSerializable(typeof(CheckinRequest))]
[JsonSerializable(typeof(CheckinResponse))]
[JsonSerializable(typeof(DeviceStatus))]
[JsonSerializable(typeof(CommandResultRequest))]
[JsonSerializable(typeof(DeclarationsDocument))]
public sealed partial class DeviceProtocolJson : JsonSerializerContext;
