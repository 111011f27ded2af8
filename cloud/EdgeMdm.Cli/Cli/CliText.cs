using System.Globalization;

namespace EdgeMdm.Cli;

/// <summary>How the CLI reads values given on the command line and writes values for people (invariant culture).</summary>
internal static class CliText
{
    /// <summary>Null for null, empty or blank: an option given as <c>--site ""</c> counts as not given.</summary>
    public static string? NonEmpty(string? text) => string.IsNullOrWhiteSpace(text) ? null : text;

    /// <summary>The hub's base address, always ending in '/' so API paths resolve below it.</summary>
    public static Uri ServerUri(string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || (!string.Equals(uri.Scheme, Uri.UriSchemeHttp, StringComparison.Ordinal) && !string.Equals(uri.Scheme, Uri.UriSchemeHttps, StringComparison.Ordinal)))
            throw new CliException($"server '{text}' is not an http:// or https:// URL", 2);
        return uri.AbsoluteUri.EndsWith('/') ? uri : new Uri(uri.AbsoluteUri + "/");
    }

    public static TimeSpan ParseDuration(string text, string option) =>
        DurationText.TryParse(text, out var duration) && duration > TimeSpan.Zero
            ? duration
            : throw new CliException($"{option} '{text}' is not a duration; use forms like 90s, 30m, 8h or 14d", 2);

    public static string Number(ulong? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "-";

    public static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"operator", "site-operator at lyon, paris": a hub role as people read it ("-" when the hub did not say).</summary>
    public static string RoleText(string? role, IReadOnlyList<string>? sites) =>
        (role ?? "-") + (sites is { Count: > 0 } ? " at " + string.Join(", ", sites) : "");

    public static string Time(DateTimeOffset at) => at.ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);

    /// <param name="none">What a missing time reads as: "-", or "never" for a check-in or sync that has not happened.</param>
    public static string Time(DateTimeOffset? at, string none = "-") => at is { } value ? Time(value) : none;
}
