using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Edge.Devices;

/// <summary>JSON the devices feature stores (findings) and prints (<c>devices list|show --json</c>).</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, UseStringEnumConverter = true)]
[JsonSerializable(typeof(List<DriftFinding>))]
[JsonSerializable(typeof(List<DeviceSummary>))]
[JsonSerializable(typeof(DeviceDetail))]
internal sealed partial class DevicesJson : JsonSerializerContext;
