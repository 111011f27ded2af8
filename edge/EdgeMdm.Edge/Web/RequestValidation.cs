using System.Globalization;

namespace EdgeMdm.Edge.Web;

/// <summary>
/// Field checks on device requests; each error is keyed by the JSON path of the field it names. Each feature writes
/// the checks of its own requests with these.
/// </summary>
public sealed class RequestValidation
{
    public const int MaxText = 256;
    private const int MaxListItems = 1000;
    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Valid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors;

    public void List<T>(IReadOnlyList<T> items, string at, Action<T, string> check)
    {
        if (items.Count > MaxListItems)
        {
            Add(at, $"may hold at most {MaxListItems} items");
            return;
        }

        for (var i = 0; i < items.Count; i++)
        {
            var itemAt = $"{at}[{i.ToString(CultureInfo.InvariantCulture)}]";
            if (items[i] is null)
                Add(itemAt, "cannot be null");
            else
                check(items[i], itemAt);
        }
    }

    public void Percent(string field, int? value)
    {
        if (value is < 0 or > 100)
            Add(field, "must be between 0 and 100");
    }

    public void RequiredText(string field, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
            Add(field, "is required");
        else
            OptionalText(field, value);
    }

    public void OptionalText(string field, string? value)
    {
        if (value is { Length: > MaxText })
            Add(field, $"may be at most {MaxText} characters");
    }

    public void Add(string field, string message) => _errors[field] = [message];
}
