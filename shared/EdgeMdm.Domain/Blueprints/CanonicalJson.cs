using System.Text.Json.Serialization;
using EdgeMdm.Contracts.Device;

namespace EdgeMdm.Domain.Blueprints;

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web, WriteIndented = false)]
[JsonSerializable(typeof(SortedDictionary<string, string>))]
[JsonSerializable(typeof(DeclarationsDocument))]
internal sealed partial class CanonicalJson : JsonSerializerContext;
