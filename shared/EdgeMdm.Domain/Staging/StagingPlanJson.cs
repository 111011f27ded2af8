using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace EdgeMdm.Domain.Staging;

/// <summary>
/// The plan's JSON. <see cref="Redacted"/> (the default, used by every list and read view) writes each secret as
/// "(secret)"; <see cref="Clear"/> writes secrets in clear and is for two places only: the form that is encrypted
/// at rest, and the plan handed to an enrolled device of the group (and that device reading it).
/// Both are compact camelCase with only the escaping JSON requires, so the clear form is also the canonical one
/// the content hash reads.
/// </summary>
[JsonSerializable(typeof(StagingPlan))]
[JsonSerializable(typeof(List<StagingPlan>))]
public sealed partial class StagingPlanJson : JsonSerializerContext
{
    public static StagingPlanJson Redacted { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });

    public static StagingPlanJson Clear { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        Converters = { new ClearSecretConverter() },
    });

    public static string SerializeClear(StagingPlan plan) => JsonSerializer.Serialize(plan, Clear.StagingPlan);

    public static string SerializeRedacted(StagingPlan plan) => JsonSerializer.Serialize(plan, Redacted.StagingPlan);

    /// <summary>A plan from its clear JSON; a malformed document is a <see cref="JsonException"/>.</summary>
    public static StagingPlan DeserializeClear(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, Clear.StagingPlan) ?? throw new JsonException("a staging plan must be a JSON object");
        }
        catch (NotSupportedException exception)
        {
            // System.Text.Json reports a step without its "type" discriminator this way: malformed input all the same.
            throw new JsonException(exception.Message, exception);
        }
    }
}
