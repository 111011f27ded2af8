using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Blueprints;

[JsonSerializable(typeof(SortedDictionary<string, string>))]
[JsonSerializable(typeof(DeclarationsDocument))]
[JsonSerializable(typeof(Rollouts.RolloutPlan))]
internal sealed partial class CanonicalJson : JsonSerializerContext
{
    /// <summary>Compact, camelCase, and escaping only what JSON itself requires.</summary>
    public static CanonicalJson Canonical { get; } = new(new JsonSerializerOptions(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
