namespace EdgeMdm.Domain.Security;

/// <summary>
/// The shape of a person's user name (central IT account or site user): 1–64 characters of letters,
/// digits, '.', '_', '-' and '@', starting with a letter or digit, so it is safe in a URL path, a table
/// and a log line, and compares the same everywhere (ordinal, case-sensitive).
/// </summary>
public static class UserNames
{
    public const int MaxLength = 64;

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength }
        && char.IsAsciiLetterOrDigit(name[0])
        && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '_' or '-' or '@');

    public const string Rule = "must be 1-64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit";
}
