using System.Globalization;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Staging;
using EdgeMdm.GitOps;
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
    IReadOnlyList<SeedToken> Tokens)
{
    /// <summary>The seed's <c>stagingPlans:</c> (the blueprints file's shape; a secret may be <c>{env: NAME}</c>, read from the appliance's environment).</summary>
    public IReadOnlyList<StagingPlan> StagingPlans { get; init; } = [];
}

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
        var label = "seed file " + source;
        BlueprintsFile blueprints;
        SeedDocument document;
        try
        {
            // The blueprints part is the one shape central IT also applies with 'edgemdm blueprints apply'.
            blueprints = BlueprintYaml.ParseFile(yaml, label, required: false, Environment.GetEnvironmentVariable);
            document = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .Build()
                .Deserialize<SeedDocument?>(yaml) ?? new SeedDocument();
        }
        catch (BlueprintFileException exception)
        {
            throw new SeedFileException(exception.Message);
        }
        catch (YamlException exception)
        {
            throw new SeedFileException($"{label}: line {exception.Start.Line.ToString(CultureInfo.InvariantCulture)}: {(exception.InnerException ?? exception).Message}");
        }

        return Validate(document, blueprints.Blueprints, label) with { StagingPlans = blueprints.StagingPlans };
    }

    private static SiteSeed Validate(SeedDocument document, IReadOnlyList<Blueprint> blueprints, string label)
    {
        var errors = new List<string>();
        var groups = blueprints.Select(b => b.Group).ToHashSet(StringComparer.Ordinal);
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
            throw new SeedFileException($"{label}: {string.Join("; ", errors)}");
        return new SiteSeed(document.Site?.Id, document.Site?.Name, blueprints, tokens);
    }

    // YAML shape. Mutable classes because YamlDotNet fills them property by property.
#pragma warning disable CA1812 // Instantiated by YamlDotNet through reflection.
    private sealed class SeedDocument
    {
        public SeedSite? Site { get; set; }
        /// <summary>Read by <see cref="BlueprintYaml"/>; only site and tokens are read here.</summary>
        public object? Blueprints { get; set; }
        public List<SeedTokenEntry> Tokens { get; set; } = [];
        /// <summary>Read by <see cref="BlueprintYaml"/>.</summary>
        public object? StagingPlans { get; set; }
    }

    private sealed class SeedSite
    {
        public string? Id { get; set; }
        public string? Name { get; set; }
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
