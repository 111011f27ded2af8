namespace EdgeMdm.Domain.Packages;

/// <summary>
/// Collects validation errors keyed by the JSON path of the field they name (<c>packageName</c>,
/// <c>waves[1].percent</c>), the shape the hub's REST problem details and the appliance's messages already use,
/// so a caller can hand the result on unchanged. The first message per field wins: one clear reason is enough.
/// </summary>
internal sealed class FieldErrors
{
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public void Add(string field, string message) => _errors.TryAdd(field, [message]);

    public IReadOnlyDictionary<string, string[]> ToDictionary() => _errors;
}
