using System.Globalization;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Blueprints;

public enum ChangeKind
{
    Create,
    Update,
    Delete,
}

/// <summary>One group's change: what apply sends (<c>Blueprint</c>, null for a delete) and what it means, in words.</summary>
public sealed record BlueprintChange(ChangeKind Kind, string Group, Blueprint? Blueprint, IReadOnlyList<string> Details)
{
    /// <summary><c>+ group X (new)</c>, <c>- group Y (deleted)</c>, <c>~ group Z: apps com.a 100 → 120; ...</c>.</summary>
    public string Line => Kind switch
    {
        ChangeKind.Create => $"+ group {Group} (new)",
        ChangeKind.Delete => $"- group {Group} (deleted)",
        _ => $"~ group {Group}: {string.Join("; ", Details)}",
    };
}

/// <summary>
/// What makes the hub hold exactly the file's blueprints. Two blueprints are the same when their content hash
/// is (the declarations token devices see, plus the apps' rollout plans), so order within lists and a re-saved
/// file are not changes.
/// </summary>
public static class BlueprintPlan
{
    public static IReadOnlyList<BlueprintChange> Compare(IReadOnlyList<Blueprint> desired, IReadOnlyList<Blueprint> current)
    {
        ArgumentNullException.ThrowIfNull(desired);
        ArgumentNullException.ThrowIfNull(current);
        var held = current.GroupBy(b => b.Group, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var wanted = desired.Select(b => b.Group).ToHashSet(StringComparer.Ordinal);
        var changes = new List<BlueprintChange>();
        foreach (var blueprint in desired.OrderBy(b => b.Group, StringComparer.Ordinal))
        {
            if (!held.TryGetValue(blueprint.Group, out var existing))
            {
                changes.Add(new BlueprintChange(ChangeKind.Create, blueprint.Group, blueprint, Describe(blueprint)));
                continue;
            }

            if (string.Equals(EffectiveContentHash(existing), EffectiveContentHash(blueprint), StringComparison.Ordinal))
                continue;
            var details = Differences(existing, blueprint);
            changes.Add(new BlueprintChange(ChangeKind.Update, blueprint.Group, blueprint, details.Count > 0 ? details : ["changed"]));
        }

        foreach (var group in held.Keys.Where(g => !wanted.Contains(g)).Order(StringComparer.Ordinal))
            changes.Add(new BlueprintChange(ChangeKind.Delete, group, null, []));
        return changes;
    }

    /// <summary>A new blueprint in short, so a dry run shows what would be created.</summary>
    private static List<string> Describe(Blueprint b)
    {
        var lines = new List<string>();
        lines.AddRange(b.Apps.OrderBy(a => a.PackageName, StringComparer.Ordinal).Select(a => $"app {a.PackageName} {Code(a)}"));
        if (b.Os?.MinVersion is { } version)
            lines.Add($"os.minVersion {version}");
        if (b.Os?.MinSecurityPatch is { } patch)
            lines.Add($"os.minSecurityPatch {Date(patch)}");
        lines.AddRange(b.Configurations.OrderBy(c => c.Id, StringComparer.Ordinal).Select(c => $"configuration {c.Id}"));
        lines.AddRange(b.Certificates.OrderBy(c => c.Name, StringComparer.Ordinal).Select(c => $"certificate {c.Name} minDaysValid {Number(c.MinDaysValid)}"));
        if (b.BatteryHealthFloorPercent is { } floor)
            lines.Add($"batteryHealthFloorPercent {Number(floor)}");
        if (b.StagingPlan is { } plan)
            lines.Add($"stagingPlan {plan}");
        return lines;
    }

    private static List<string> Differences(Blueprint before, Blueprint after)
    {
        var details = new List<string>();
        Compare(
            before.Apps, after.Apps, a => a.PackageName, details,
            added: a => $"apps +{a.PackageName} {Code(a)}",
            removed: a => $"apps -{a.PackageName}",
            changed: (x, y) => !string.Equals(Code(x), Code(y), StringComparison.Ordinal)
                ? $"apps {x.PackageName} {Code(x)} → {Code(y)}"
                : !string.Equals(PlanHash(x), PlanHash(y), StringComparison.Ordinal) ? $"apps {x.PackageName} rollout plan changed" : null);

        if (!string.Equals(before.Os?.MinVersion, after.Os?.MinVersion, StringComparison.Ordinal))
            details.Add($"os.minVersion {before.Os?.MinVersion ?? "none"} → {after.Os?.MinVersion ?? "none"}");
        if (before.Os?.MinSecurityPatch != after.Os?.MinSecurityPatch)
            details.Add($"os.minSecurityPatch {Date(before.Os?.MinSecurityPatch)} → {Date(after.Os?.MinSecurityPatch)}");

        Compare(
            before.Configurations, after.Configurations, c => c.Id, details,
            added: c => $"configurations +{c.Id}",
            removed: c => $"configurations -{c.Id}",
            changed: (x, y) => string.Equals(x.Hash, y.Hash, StringComparison.Ordinal) ? null : $"configurations {x.Id} changed");

        Compare(
            before.Certificates, after.Certificates, c => c.Name, details,
            added: c => $"certificates +{c.Name} minDaysValid {Number(c.MinDaysValid)}",
            removed: c => $"certificates -{c.Name}",
            changed: (x, y) => x.MinDaysValid == y.MinDaysValid ? null : $"certificates {x.Name} minDaysValid {Number(x.MinDaysValid)} → {Number(y.MinDaysValid)}");

        if (before.BatteryHealthFloorPercent != after.BatteryHealthFloorPercent)
            details.Add($"batteryHealthFloorPercent {Number(before.BatteryHealthFloorPercent)} → {Number(after.BatteryHealthFloorPercent)}");
        if (!string.Equals(before.StagingPlan, after.StagingPlan, StringComparison.Ordinal))
            details.Add($"stagingPlan {before.StagingPlan ?? "none"} → {after.StagingPlan ?? "none"}");
        return details;
    }

    private static void Compare<T>(
        IReadOnlyList<T> before,
        IReadOnlyList<T> after,
        Func<T, string> key,
        List<string> details,
        Func<T, string> added,
        Func<T, string> removed,
        Func<T, T, string?> changed)
    {
        var old = before.GroupBy(key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var now = after.GroupBy(key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        foreach (var name in old.Keys.Union(now.Keys, StringComparer.Ordinal).Order(StringComparer.Ordinal))
        {
            var line = (old.TryGetValue(name, out var x), now.TryGetValue(name, out var y)) switch
            {
                (false, true) => added(y!),
                (true, false) => removed(x!),
                _ => changed(x!, y!),
            };
            if (line is not null)
                details.Add(line);
        }
    }

    /// <summary>
    /// The content hash with an app that names no plan counted as naming <see cref="RolloutPlan.Default"/>, as the hub
    /// counts it: once a rollout started, the hub's copy carries the plan it rolls out with, the file may not.
    /// </summary>
    private static string EffectiveContentHash(Blueprint blueprint) =>
        (blueprint with { Apps = blueprint.Apps.Select(a => a.Rollout is null ? a with { Rollout = new AppRollout(RolloutPlan.Default) } : a).ToList() })
        .ContentHash();

    private static string PlanHash(RequiredApp app) => CanonicalHash.OfPlan(app.Rollout?.Plan ?? RolloutPlan.Default);

    /// <summary>The version code, with the version name when it says something else: <c>412 (4.1.2)</c>.</summary>

    private static string Code(RequiredApp app)
    {
        var code = app.VersionCode.ToString(CultureInfo.InvariantCulture);
        return string.IsNullOrEmpty(app.VersionName) || string.Equals(app.VersionName, code, StringComparison.Ordinal) ? code : $"{code} ({app.VersionName})";
    }

    private static string Date(DateOnly? date) => date?.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) ?? "none";

    private static string Number(int? value) => value?.ToString(CultureInfo.InvariantCulture) ?? "none";
}
