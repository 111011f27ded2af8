using System.Globalization;
using EdgeMdm.Domain.Blueprints;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace EdgeMdm.Edge.Seed;

/// <summary>
/// What central IT hands a site until the cloud hub supplies it: the site's identity, blueprints per
/// device group and enrollment tokens. Read from YAML (<c>--seed FILE</c>), validated whole before anything
/// is written, so a bad file changes nothing.
/// </summary>
public sealed record SiteSeed(
    string? SiteId,
    string? SiteName,
    IReadOnlyList<Blueprint> Blueprints,
    IReadOnlyList<SeedToken> Tokens);

/// <summary>An enrollment token with its clear value, as central IT printed it on the staging sheet.</summary>
public sealed record SeedToken(string Token, string Group, int Uses, DateTimeOffset ExpiresAt);

public sealed class SeedFileException(string message) : Exception(message);

public static class SiteSeedLoader
{
    /// <summary>Shortest clear token accepted: anything shorter could be guessed from the site Wi-Fi.</summary>
    public const int MinTokenLength = 16;

    public static SiteSeed Load(string path)
    {
        string yaml;
        try
        {
            yaml = File.ReadAllText(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new SeedFileException($"seed file {path}: {exception.Message}");
        }

        return Parse(yaml, path);
    }

    public static SiteSeed Parse(string yaml, string source)
    {
        SeedDocument document;
        try
        {
            document = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .Build()
                .Deserialize<SeedDocument?>(yaml) ?? new SeedDocument();
        }
        catch (YamlException exception)
        {
            throw new SeedFileException($"seed file {source}: line {exception.Start.Line.ToString(CultureInfo.InvariantCulture)}: {(exception.InnerException ?? exception).Message}");
        }

        return Validate(document, source);
    }

    private static SiteSeed Validate(SeedDocument document, string source)
    {
        var errors = new List<string>();
        var blueprints = new List<Blueprint>();
        var groups = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < document.Blueprints.Count; i++)
        {
            var at = $"blueprints[{i.ToString(CultureInfo.InvariantCulture)}]";
            var b = document.Blueprints[i];
            if (string.IsNullOrWhiteSpace(b.Group))
            {
                errors.Add($"{at}.group is required");
                continue;
            }

            if (!groups.Add(b.Group))
                errors.Add($"{at}.group '{b.Group}' appears twice");
            blueprints.Add(ToBlueprint(b, at, errors));
        }

        var tokens = new List<SeedToken>();
        for (var i = 0; i < document.Tokens.Count; i++)
        {
            var at = $"tokens[{i.ToString(CultureInfo.InvariantCulture)}]";
            var t = document.Tokens[i];
            if (t.Token is null || t.Token.Length < MinTokenLength)
                errors.Add($"{at}.token must be at least {MinTokenLength.ToString(CultureInfo.InvariantCulture)} characters");
            if (t.Group is null || !groups.Contains(t.Group))
                errors.Add($"{at}.group '{t.Group}' has no blueprint");
            if (t.Uses <= 0)
                errors.Add($"{at}.uses must be at least 1");
            if (t.Expires is null)
                errors.Add($"{at}.expires is required (an ISO 8601 date and time)");
            if (t.Token is not null && t.Group is not null && t.Expires is { } expires)
                tokens.Add(new SeedToken(t.Token, t.Group, t.Uses, expires));
        }

        if (errors.Count > 0)
            throw new SeedFileException($"seed file {source}: {string.Join("; ", errors)}");
        return new SiteSeed(document.Site?.Id, document.Site?.Name, blueprints, tokens);
    }

    private static Blueprint ToBlueprint(SeedBlueprint b, string at, List<string> errors)
    {
        var apps = new List<RequiredApp>();
        for (var j = 0; j < b.Apps.Count; j++)
        {
            var app = b.Apps[j];
            var appAt = $"{at}.apps[{j.ToString(CultureInfo.InvariantCulture)}]";
            if (string.IsNullOrWhiteSpace(app.PackageName))
                errors.Add($"{appAt}.packageName is required");
            if (app.VersionCode <= 0)
                errors.Add($"{appAt}.versionCode must be a positive number");
            apps.Add(new RequiredApp(app.PackageName ?? "", app.VersionCode, app.VersionName ?? app.VersionCode.ToString(CultureInfo.InvariantCulture)));
        }

        var configurations = new List<ConfigurationPayload>();
        foreach (var c in b.Configurations)
        {
            if (string.IsNullOrWhiteSpace(c.Id))
                errors.Add($"{at}.configurations: every configuration needs an id");
            configurations.Add(new ConfigurationPayload(c.Id ?? "", c.Values));
        }

        var certificates = new List<CertificateRule>();
        foreach (var c in b.Certificates)
        {
            if (string.IsNullOrWhiteSpace(c.Name))
                errors.Add($"{at}.certificates: every certificate rule needs a name");
            if (c.MinDaysValid < 0)
                errors.Add($"{at}.certificates: minDaysValid cannot be negative");
            certificates.Add(new CertificateRule(c.Name ?? "", c.MinDaysValid));
        }

        if (b.BatteryHealthFloorPercent is < 0 or > 100)
            errors.Add($"{at}.batteryHealthFloorPercent must be between 0 and 100");
        var os = b.Os is null ? null : new OsFloor(b.Os.MinVersion, b.Os.MinSecurityPatch is { } patch ? ParseDate(patch, $"{at}.os.minSecurityPatch", errors) : null);
        return new Blueprint(b.Group!, apps, os, configurations, certificates, b.BatteryHealthFloorPercent);
    }

    private static DateOnly? ParseDate(string text, string at, List<string> errors)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date;
        errors.Add($"{at} must be a date like 2026-06-01");
        return null;
    }

    // YAML shape. Mutable classes because YamlDotNet fills them property by property.
#pragma warning disable CA1812 // Instantiated by YamlDotNet through reflection.
    private sealed class SeedDocument
    {
        public SeedSite? Site { get; set; }
        public List<SeedBlueprint> Blueprints { get; set; } = [];
        public List<SeedTokenEntry> Tokens { get; set; } = [];
    }

    private sealed class SeedSite
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
    }

    private sealed class SeedBlueprint
    {
        public string? Group { get; set; }
        public List<SeedApp> Apps { get; set; } = [];
        public SeedOs? Os { get; set; }
        public List<SeedConfiguration> Configurations { get; set; } = [];
        public List<SeedCertificate> Certificates { get; set; } = [];
        public int? BatteryHealthFloorPercent { get; set; }
    }

    private sealed class SeedApp
    {
        public string? PackageName { get; set; }
        public long VersionCode { get; set; }
        public string? VersionName { get; set; }
    }

    private sealed class SeedOs
    {
        public string? MinVersion { get; set; }
        public string? MinSecurityPatch { get; set; }
    }

    private sealed class SeedConfiguration
    {
        public string? Id { get; set; }
        public Dictionary<string, string> Values { get; set; } = new(StringComparer.Ordinal);
    }

    private sealed class SeedCertificate
    {
        public string? Name { get; set; }
        public int MinDaysValid { get; set; }
    }

    private sealed class SeedTokenEntry
    {
        public string? Token { get; set; }
        public string? Group { get; set; }
        public int Uses { get; set; }
        public DateTimeOffset? Expires { get; set; }
    }
#pragma warning restore CA1812
}
