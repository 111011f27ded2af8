using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Storage;

/// <summary>
/// JSON the hub stores and sends. Blueprints use the same options as the appliance's store (camelCase, nulls
/// left out), because BlueprintUpserted carries this JSON to the site as is. A feature with JSON of its own keeps
/// its context beside its store, with these options.
/// </summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    UseStringEnumConverter = true)]
[JsonSerializable(typeof(Blueprint))]
[JsonSerializable(typeof(Domain.Rollouts.RolloutPlan))]
[JsonSerializable(typeof(SortedDictionary<string, string>))]
[JsonSerializable(typeof(string?[]))]
internal sealed partial class CloudJson : JsonSerializerContext;
