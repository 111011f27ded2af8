using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Edge.Fleet;
using EdgeMdm.Edge.Packages;
using EdgeMdm.Edge.Rollouts;

namespace EdgeMdm.Edge.Storage;

/// <summary>JSON for what the appliance stores and prints (not the device wire format; see DeviceProtocolJson).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Blueprint))]
[JsonSerializable(typeof(List<DriftFinding>))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(List<DeviceSummary>))]
[JsonSerializable(typeof(DeviceDetail))]
[JsonSerializable(typeof(DriftSummary))]
[JsonSerializable(typeof(List<CommandSummary>))]
[JsonSerializable(typeof(List<TokenSummary>))]
[JsonSerializable(typeof(IssuedToken))]
[JsonSerializable(typeof(SyncStatus))]
[JsonSerializable(typeof(List<SiteUser>))]
[JsonSerializable(typeof(CacheStatus))]
[JsonSerializable(typeof(List<RolloutView>))]
[JsonSerializable(typeof(List<MqttClientRecord>))]
[JsonSerializable(typeof(MqttClientCreated))]
[JsonSerializable(typeof(MqttStats))]
internal sealed partial class EdgeJson : JsonSerializerContext;
