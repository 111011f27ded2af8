using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeMdm.Agent;

/// <summary>
/// RFC 9457 problem details as the appliance sends them. Every member is optional: a body that carries
/// only some of them still improves the error message.
/// </summary>
internal sealed record ProblemDetailsBody
{
    public string? Type { get; init; }
    public string? Title { get; init; }
    public int? Status { get; init; }
    public string? Detail { get; init; }
    public Dictionary<string, JsonElement>? Errors { get; init; }
}

/// <summary>Source-generated JSON for what the agent itself owns (the wire format is <c>DeviceProtocolJson</c>).</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(ProblemDetailsBody))]
[JsonSerializable(typeof(SimulationReport))]
internal sealed partial class AgentJson : JsonSerializerContext;

/// <summary>The device credential file: indented, every member written (a null token too), for the person who opens it.</summary>
[JsonSourceGenerationOptions(
    JsonSerializerDefaults.Web,
    WriteIndented = true,
    RespectNullableAnnotations = true,
    RespectRequiredConstructorParameters = true)]
[JsonSerializable(typeof(DeviceCredentials))]
internal sealed partial class AgentStateJson : JsonSerializerContext;
