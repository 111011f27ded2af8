using System.Globalization;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Api;

/// <summary>Field checks on REST requests; each error is keyed by the JSON path of the field it names.</summary>
internal sealed class Validation
{
    public const int MaxText = 256;

    /// <summary>The longest an enrollment token or a command may stay valid: a year and a day.</summary>
    public const long MaxExpirySeconds = 366L * 24 * 3600;

    private readonly Dictionary<string, string[]> _errors = new(StringComparer.Ordinal);

    public bool Valid => _errors.Count == 0;

    public IDictionary<string, string[]> Errors => _errors;

    public IResult Problem() => ProblemResults.Invalid(_errors);

    public void Add(string field, string message) => _errors.TryAdd(field, [message]);

    public void RequiredText(string field, string? value, int max = MaxText)
    {
        if (string.IsNullOrWhiteSpace(value))
            Add(field, "is required");
        else if (value.Length > max)
            Add(field, $"may be at most {max.ToString(CultureInfo.InvariantCulture)} characters");
    }

    /// <summary>A group name: what the edge and devices use as a key, so plain characters only.</summary>
    public void GroupName(string field, string? value)
    {
        RequiredText(field, value, 64);
        if (!string.IsNullOrWhiteSpace(value) && !value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            Add(field, "may hold only letters, digits, '-', '_' and '.'");
    }

    public void Range(string field, long? value, long min, long max, bool required)
    {
        if (value is null)
        {
            if (required)
                Add(field, "is required");
        }
        else if (value < min || value > max)
        {
            Add(field, $"must be between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    public static string At(string list, int index) => $"{list}[{index.ToString(CultureInfo.InvariantCulture)}]";

    /// <summary>
    /// Checks each item of a JSON list with <paramref name="check"/> (given the item and its path, e.g. <c>apps[2]</c>);
    /// a null item is an error of its own. An absent list is empty.
    /// </summary>
    /// <returns>The items that are not null, in order.</returns>
    public List<T> Items<T>(string list, IReadOnlyList<T?>? items, Action<T, string> check)
        where T : class
    {
        var present = new List<T>();
        for (var i = 0; i < (items?.Count ?? 0); i++)
        {
            var at = At(list, i);
            if (items![i] is not { } item)
            {
                Add(at, "cannot be null");
                continue;
            }

            check(item, at);
            present.Add(item);
        }

        return present;
    }

    /// <summary>A user name: of an account or of a site user.</summary>
    public void UserName(string field, string? name)
    {
        if (string.IsNullOrWhiteSpace(name))
            Add(field, "is required");
        else if (!UserNames.IsValid(name))
            Add(field, UserNames.Rule);
    }

    /// <summary>An optional password: absent means "generate one"; given, it must be long enough to resist guessing.</summary>
    public void Password(string? password)
    {
        if (password is { Length: < PasswordHash.MinPasswordLength or > PasswordHash.MaxPasswordLength })
            Add("password", $"must be {PasswordHash.MinPasswordLength}-{PasswordHash.MaxPasswordLength} characters (leave it out to have one generated)");
    }
}
