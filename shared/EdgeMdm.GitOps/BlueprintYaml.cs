using System.Globalization;
using System.Text.RegularExpressions;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;
using EdgeMdm.Domain.Staging;
using YamlDotNet.Core;
using YamlDotNet.Serialization;
using YamlDotNet.Serialization.NamingConventions;

namespace EdgeMdm.GitOps;

/// <summary>A blueprints or seed file that cannot be used; the message names the file and every bad field.</summary>
public sealed class BlueprintFileException(string message) : Exception(message);

/// <summary>
/// The blueprints central IT keeps in git: <c>blueprints:</c> in one YAML shape shared by the admin CLI's
/// <c>blueprints apply -f</c> and the appliance's seed file (a seed's <c>site</c> and <c>tokens</c> are not
/// blueprints and are ignored here). Validated whole: one bad field and nothing is used. An unknown key is an
/// error (a typo such as "aps:" must not silently drop a requirement). <paramref name="label"/> names the file
/// in messages, e.g. "blueprints file b.yaml" or "seed file site.yaml".
/// </summary>
public static partial class BlueprintYaml
{
    /// <param name="required">When true, a file without <c>blueprints:</c> is refused (for GitOps, where it would
    /// mean "delete everything" by accident); <c>blueprints: []</c> is the explicit form.</param>
    public static IReadOnlyList<Blueprint> Parse(string yaml, string label, bool required) =>
        ParseFile(yaml, label, required, Environment.GetEnvironmentVariable).Blueprints;

    /// <summary>
    /// The blueprints and the staging plans of a file. A plan's secret written <c>{env: NAME}</c> is read with
    /// <paramref name="environment"/> (the environment of whoever applies the file, so git never holds it).
    /// </summary>
    /// <param name="knownPlans">Staging plans a blueprint may name besides the file's own (those the hub holds, when the
    /// text is pasted into its console); null for none.</param>
    public static BlueprintsFile ParseFile(string yaml, string label, bool required, Func<string, string?> environment, IReadOnlySet<string>? knownPlans = null)
    {
        ArgumentNullException.ThrowIfNull(environment);
        BlueprintDocument? document;
        try
        {
            document = new DeserializerBuilder()
                .WithNamingConvention(CamelCaseNamingConvention.Instance)
                .Build()
                .Deserialize<BlueprintDocument?>(yaml);
        }
        catch (YamlException exception)
        {
            throw new BlueprintFileException($"{label}: line {exception.Start.Line.ToString(CultureInfo.InvariantCulture)}: {Explain(exception)}");
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet's word for text after the end of the first document ("...", "---"): one document is read, not several.
            throw new BlueprintFileException($"{label}: the text must be one YAML document");
        }

        var errors = new List<string>();
        var plans = ToStagingPlans(document?.StagingPlans, environment, errors);
        if (document?.Blueprints is not { } entries)
        {
            if (required)
                errors.Insert(0, "blueprints is required (write 'blueprints: []' to remove every blueprint from the hub)");
            if (errors.Count > 0)
                throw new BlueprintFileException($"{label}: {string.Join("; ", errors)}");
            return new BlueprintsFile([], plans);
        }

        // A plan that failed its own rules is still a plan of the file: name it once, not again at every blueprint.
        var planNames = (document.StagingPlans ?? []).Select(p => p?.Name).OfType<string>().ToHashSet(StringComparer.Ordinal);
        planNames.UnionWith(knownPlans ?? new HashSet<string>(StringComparer.Ordinal));
        return new BlueprintsFile(Validate(entries, planNames, errors, label), plans);
    }

    /// <summary>YamlDotNet's message without our class names: "unknown field 'aps'" rather than "Property 'aps' not found on type ...".</summary>
    private static string Explain(YamlException exception)
    {
        var message = (exception.InnerException ?? exception).Message;
        var unknown = UnknownProperty().Match(message);
        return unknown.Success ? $"unknown field '{unknown.Groups["name"].Value}'" : message;
    }

    [GeneratedRegex("^Property '(?<name>[^']*)' not found on type", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, matchTimeoutMilliseconds: 1000)]
    private static partial Regex UnknownProperty();

    private static List<Blueprint> Validate(List<FileBlueprint?> entries, HashSet<string> planNames, List<string> errors, string label)
    {
        var blueprints = new List<Blueprint>();
        var groups = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < entries.Count; i++)
        {
            var at = $"blueprints[{i.ToString(CultureInfo.InvariantCulture)}]";
            var b = entries[i];
            if (b is null || string.IsNullOrWhiteSpace(b.Group))
            {
                errors.Add($"{at}.group is required");
                continue;
            }

            if (!groups.Add(b.Group))
                errors.Add($"{at}.group '{b.Group}' appears twice");
            if (b.StagingPlan is { } planName && !planNames.Contains(planName))
                errors.Add($"{at}.stagingPlan '{planName}' is not a plan of this file's stagingPlans");
            blueprints.Add(ToBlueprint(b, at, errors) with { StagingPlan = b.StagingPlan });
        }

        if (errors.Count > 0)
            throw new BlueprintFileException($"{label}: {string.Join("; ", errors)}");
        return blueprints;
    }

    private static Blueprint ToBlueprint(FileBlueprint b, string at, List<string> errors)
    {
        var apps = new List<RequiredApp>();
        var packages = new HashSet<string>(StringComparer.Ordinal);
        var fileApps = b.Apps ?? [];
        for (var j = 0; j < fileApps.Count; j++)
        {
            var appAt = $"{at}.apps[{j.ToString(CultureInfo.InvariantCulture)}]";
            if (fileApps[j] is not { } app)
            {
                errors.Add($"{appAt} is empty");
                continue;
            }

            if (string.IsNullOrWhiteSpace(app.PackageName))
                errors.Add($"{appAt}.packageName is required");
            else if (!packages.Add(app.PackageName))
                errors.Add($"{appAt}.packageName '{app.PackageName}' appears twice");
            var versionCode = Integer(app.VersionCode);
            if (versionCode is not > 0)
                errors.Add($"{appAt}.versionCode must be a positive number");
            apps.Add(new RequiredApp(app.PackageName ?? "", versionCode ?? 0, app.VersionName ?? versionCode?.ToString(CultureInfo.InvariantCulture) ?? "")
            {
                Rollout = app.Rollout is null ? null : new AppRollout(ToPlan(app.Rollout, appAt + ".rollout", errors)),
            });
        }

        var configurations = ToConfigurations(b.Configurations, at, errors);
        var certificates = ToCertificateRules(b.Certificates, at, errors);

        var floor = b.BatteryHealthFloorPercent is null ? null : Integer(b.BatteryHealthFloorPercent);
        if (b.BatteryHealthFloorPercent is not null && floor is not (>= 0 and <= 100))
            errors.Add($"{at}.batteryHealthFloorPercent must be between 0 and 100");
        // An empty 'os: {}' is no OS floor at all, as the hub stores it.
        var os = b.Os is null || (b.Os.MinVersion is null && b.Os.MinSecurityPatch is null) ? null : new OsFloor(b.Os.MinVersion, b.Os.MinSecurityPatch is { } patch ? ParseDate(patch, $"{at}.os.minSecurityPatch", errors) : null);
        return new Blueprint(b.Group!, apps, os, configurations, certificates, floor is >= 0 and <= 100 ? (int)floor : null);
    }

    /// <summary>A null list (the key with nothing after it) is none; a null entry (a "-" with nothing after it) an error.</summary>
    private static List<ConfigurationPayload> ToConfigurations(List<FileConfiguration?>? entries, string at, List<string> errors)
    {
        var configurations = new List<ConfigurationPayload>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var c in entries ?? [])
        {
            if (c is null)
            {
                errors.Add($"{at}.configurations: an entry is empty");
                continue;
            }

            if (string.IsNullOrWhiteSpace(c.Id))
                errors.Add($"{at}.configurations: every configuration needs an id");
            else if (!ids.Add(c.Id))
                errors.Add($"{at}.configurations: id '{c.Id}' appears twice");
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (key, value) in c.Values ?? [])
            {
                if (value is null)
                    errors.Add($"{at}.configurations: '{c.Id}' value '{key}' is empty");
                else
                    values[key] = value;
            }

            configurations.Add(new ConfigurationPayload(c.Id ?? "", values));
        }

        return configurations;
    }

    private static List<CertificateRule> ToCertificateRules(List<FileCertificate?>? entries, string at, List<string> errors)
    {
        var certificates = new List<CertificateRule>();
        foreach (var c in entries ?? [])
        {
            if (c is null)
            {
                errors.Add($"{at}.certificates: an entry is empty");
                continue;
            }

            if (string.IsNullOrWhiteSpace(c.Name))
                errors.Add($"{at}.certificates: every certificate rule needs a name");
            var days = c.MinDaysValid is null ? 0 : Integer(c.MinDaysValid);
            if (days is null or < 0 or > int.MaxValue)
                errors.Add($"{at}.certificates: minDaysValid must be a number of days, 0 or more");
            certificates.Add(new CertificateRule(c.Name ?? "", (int)Math.Clamp(days ?? 0, 0, int.MaxValue)));
        }

        return certificates;
    }

    /// <summary>
    /// <c>rollout:</c> of an app. Every key is optional and falls back to <see cref="RolloutPlan.Default"/>'s:
    /// <c>waves: [pilots, 10%, 50%, 100%]</c> (a group name or a cumulative percentage), <c>haltAbove: 20%</c>,
    /// <c>haltAfter: 5</c>, <c>advanceAt: 95%</c>, <c>waveTimeLimit: 1h</c>, <c>stragglerAfter: 15m</c>,
    /// <c>window: {timeZone: Europe/Paris, start: "22:00", end: "05:00"}</c>,
    /// <c>pilotGroups: {floor-leads: [SN-0001, SN-0007]}</c> (serial numbers a pilot wave of that name takes first).
    /// Durations as the CLIs read them (90s, 45m, 2h, 1d); left out, the plan carries none and the defaults apply.
    /// </summary>
    private static RolloutPlan ToPlan(FileRollout rollout, string at, List<string> errors)
    {
        var defaults = RolloutPlan.Default;
        var waves = rollout.Waves is null ? defaults.Waves : rollout.Waves.Select(wave => ToWave(wave ?? "")).ToList();
        var haltAbove = rollout.HaltAbove is null ? defaults.Halt.FailureRateThreshold : Share(rollout.HaltAbove, $"{at}.haltAbove", errors);
        var haltAfter = rollout.HaltAfter is null ? defaults.Halt.MinFinishedDevices : (int)Math.Clamp(Integer(rollout.HaltAfter) ?? 0, 0, int.MaxValue);
        var advanceAt = rollout.AdvanceAt is null ? defaults.WaveAdvanceShare : Share(rollout.AdvanceAt, $"{at}.advanceAt", errors);
        MaintenanceWindow? window = null;
        if (rollout.Window is { } w)
        {
            var start = Time(w.Start, $"{at}.window.start", errors);
            var end = Time(w.End, $"{at}.window.end", errors);
            window = new MaintenanceWindow(w.TimeZone ?? "", start, end);
        }

        var pilotGroups = rollout.PilotGroups?.ToDictionary(g => g.Key, g => (IReadOnlyList<string>)[.. (g.Value ?? []).OfType<string>()], StringComparer.Ordinal);
        var timeLimit = Duration(rollout.WaveTimeLimit, $"{at}.waveTimeLimit", errors);
        var stragglerAfter = Duration(rollout.StragglerAfter, $"{at}.stragglerAfter", errors);
        var plan = new RolloutPlan(waves, new HaltPolicy(haltAbove, haltAfter), window, advanceAt, pilotGroups, timeLimit, stragglerAfter).Normalized();
        // The plan's own rules, under the file's names for its fields.
        foreach (var (field, messages) in plan.Validate())
        {
            var name = field.Replace("halt.failureRateThreshold", "haltAbove", StringComparison.Ordinal)
                .Replace("halt.minFinishedDevices", "haltAfter", StringComparison.Ordinal)
                .Replace("waveAdvanceShare", "advanceAt", StringComparison.Ordinal)
                .Replace("window.timeZoneId", "window.timeZone", StringComparison.Ordinal)
                .Replace(".cumulativePercent", "", StringComparison.Ordinal);
            errors.AddRange(messages.Select(m => $"{at}.{name} {m}"));
        }

        return plan;
    }

    private static RolloutWave ToWave(string text) =>
        text.EndsWith('%') && int.TryParse(text[..^1], NumberStyles.None, CultureInfo.InvariantCulture, out var percent)
            ? new PercentageWave(percent)
            : new PilotWave(text);

    /// <summary>"20%" or "0.2".</summary>
    private static decimal Share(string text, string at, List<string> errors)
    {
        var percent = text.EndsWith('%');
        if (decimal.TryParse(percent ? text[..^1] : text, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value))
        {
            // Without trailing zeros, so "0.20" and "20%" are the same plan (the same content hash).
            var share = percent ? value / 100m : value;
            return decimal.Parse(share.ToString("G29", CultureInfo.InvariantCulture), NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent, CultureInfo.InvariantCulture);
        }

        errors.Add($"{at} must be a share such as 20% or 0.2");
        return 0m;
    }

    /// <summary>"45m", "2h", "90s"; null when left out. A bad one is reported and read as left out.</summary>
    private static TimeSpan? Duration(string? text, string at, List<string> errors)
    {
        if (text is null)
            return null;
        if (Domain.Text.DurationText.TryParse(text, out var duration))
            return duration;
        errors.Add($"{at} '{text}' is not a duration; use forms like 90s, 45m, 2h or 1d");
        return null;
    }

    private static TimeOnly Time(string? text, string at, List<string> errors)
    {
        if (TimeOnly.TryParseExact(text, "HH:mm", CultureInfo.InvariantCulture, DateTimeStyles.None, out var time))
            return time;
        errors.Add($"{at} must be a time of day like 22:00");
        return TimeOnly.MinValue;
    }

    /// <summary>Numbers are read as text so that "abc" is reported with its field's name, not as a YAML type error.</summary>
    private static long? Integer(string? text) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : null;

    private static DateOnly? ParseDate(string text, string at, List<string> errors)
    {
        if (DateOnly.TryParseExact(text, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var date))
            return date;
        errors.Add($"{at} must be a date like 2026-06-01");
        return null;
    }

    // YAML shape. Mutable classes because YamlDotNet fills them property by property; an unknown key is an
    // error (a typo such as "aps:" must not silently drop a requirement).
#pragma warning disable CA1812 // Instantiated by YamlDotNet through reflection.
    private sealed class BlueprintDocument
    {
        public List<FileBlueprint?>? Blueprints { get; set; }

        public List<FileStagingPlan?>? StagingPlans { get; set; }

        /// <summary>Present in seed files; not a blueprint, ignored here.</summary>
        public object? Site { get; set; }

        /// <summary>Present in seed files (read by the appliance's seed loader); ignored here.</summary>
        public object? Tokens { get; set; }
    }

    private sealed class FileBlueprint
    {
        public string? Group { get; set; }
        // Element and list nullable: "apps:" with nothing after it, or a "-" with nothing after it, reads as null.
        public List<FileApp?>? Apps { get; set; } = [];
        public FileOs? Os { get; set; }
        public List<FileConfiguration?>? Configurations { get; set; } = [];
        public List<FileCertificate?>? Certificates { get; set; } = [];
        public string? BatteryHealthFloorPercent { get; set; }
        public string? StagingPlan { get; set; }
    }

    private sealed class FileApp
    {
        public string? PackageName { get; set; }
        public string? VersionCode { get; set; }
        public string? VersionName { get; set; }
        public FileRollout? Rollout { get; set; }
    }

    private sealed class FileRollout
    {
        public List<string?>? Waves { get; set; }
        public Dictionary<string, List<string?>?>? PilotGroups { get; set; }
        public FileWindow? Window { get; set; }
        public string? HaltAbove { get; set; }
        public string? HaltAfter { get; set; }
        public string? AdvanceAt { get; set; }
        public string? WaveTimeLimit { get; set; }
        public string? StragglerAfter { get; set; }
    }

    private sealed class FileWindow
    {
        public string? TimeZone { get; set; }
        public string? Start { get; set; }
        public string? End { get; set; }
    }

    private sealed class FileOs
    {
        public string? MinVersion { get; set; }
        public string? MinSecurityPatch { get; set; }
    }

    private sealed class FileConfiguration
    {
        public string? Id { get; set; }
        public Dictionary<string, string?>? Values { get; set; } = new(StringComparer.Ordinal);
    }

    private sealed class FileCertificate
    {
        public string? Name { get; set; }
        public string? MinDaysValid { get; set; }
    }

    private sealed class FileStagingPlan
    {
        public string? Name { get; set; }
        public List<FileStep?>? Steps { get; set; }
    }

    /// <summary>One step, flat: <c>kind</c> says which of the other keys it may have.</summary>
    private sealed class FileStep
    {
        public string? Kind { get; set; }
        public string? Id { get; set; }
        public string? PackageName { get; set; }
        public Dictionary<string, object?>? Values { get; set; }
        public List<string>? PackageNames { get; set; }
        public string? Ssid { get; set; }
        public string? Security { get; set; }
        public object? Psk { get; set; }
        public string? Identity { get; set; }
        public object? Password { get; set; }
        public string? Peripheral { get; set; }
        public string? AddressPattern { get; set; }
    }
#pragma warning restore CA1812
}
