using System.Runtime.CompilerServices;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Blueprints;

/// <summary>
/// Desired state for every device of one group. Owned by central IT (today: the site's seed file; later
/// the cloud hub). A blueprint says what must be true on the floor; drift says whether it is.
/// </summary>
public sealed record Blueprint(
    string Group,
    IReadOnlyList<RequiredApp> Apps,
    OsFloor? Os,
    IReadOnlyList<ConfigurationPayload> Configurations,
    IReadOnlyList<CertificateRule> Certificates,
    int? BatteryHealthFloorPercent)
{
    public static Blueprint Empty(string group) => new(group, [], null, [], [], null);

    /// <summary>
    /// The name of the staging plan the group's devices perform between enrollment and Active; null for none
    /// (a device then says itself when its staging is done). Not part of the declarations: a device on the
    /// floor is not asked to stage again when the plan changes.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public string? StagingPlan { get; init; }
}

/// <summary>
/// An app that must be installed at exactly this version code. <see cref="Rollout"/> says how a change of the
/// version reaches the floor; the declarations devices receive do not depend on it, so it is not part of the
/// declarations token.
/// </summary>
public sealed record RequiredApp(string PackageName, long VersionCode, string VersionName)
{
    public AppRollout? Rollout { get; init; }
}

/// <summary>
/// The rollout of an app's version: the plan central IT wrote (or <see cref="RolloutPlan.Default"/>), and what
/// the hub adds when a blueprint changes the version: the rollout's id (the key of its wave assignment), the
/// version devices are declared until their wave is offered the new one, and the older versions a waiting
/// device may keep. A blueprint read from a file carries the plan only.
/// </summary>
public sealed record AppRollout(RolloutPlan Plan)
{
    /// <summary>How many superseded versions a rollout remembers (<see cref="KeptVersions"/>): enough for any real chain of changes.</summary>
    public const int MaxKeptVersions = 8;

    public string? Id { get; init; }
    public long? FromVersionCode { get; init; }
    public string? FromVersionName { get; init; }

    /// <summary>
    /// When the hub started the rollout: what the plan's time limits count from (<see cref="RolloutClock"/>), at the
    /// hub and at the site alike. Null in a file, and in a rollout the hub started before time limits existed.
    /// </summary>
    [System.Text.Json.Serialization.JsonIgnore(Condition = System.Text.Json.Serialization.JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? StartedAt { get; init; }

    /// <summary>
    /// Versions earlier rollouts of the app started from, when this rollout replaced one still under way: a device
    /// still waiting for its wave that runs one of them keeps it rather than being rushed to
    /// <see cref="FromVersionCode"/> (the version the blueprint named last, perhaps the very one being replaced
    /// because it misbehaves). Newest first.
    /// </summary>
    public IReadOnlyList<AppVersion>? KeptVersions { get; init; }

    /// <summary>
    /// What a device waiting for its wave is declared: the version it runs when that is one the rollout lets it keep
    /// (<see cref="FromVersionCode"/> or one of <see cref="KeptVersions"/>), otherwise <see cref="FromVersionCode"/>.
    /// Never a downgrade from a version the rollout knows, never a jump to the from version for a device on an older one.
    /// </summary>
    public AppVersion? HeldVersionFor(long? installedVersionCode)
    {
        if (FromVersionCode is not { } from)
            return null;
        if (installedVersionCode is { } installed && installed != from && KeptVersions?.FirstOrDefault(v => v.VersionCode == installed) is { } kept)
            return kept;
        return new AppVersion(from, FromVersionName ?? from.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>
    /// The app's rollout when a site should stage it: once the hub gave it an id and a version to roll from that differs
    /// from the target, with a valid plan. Null to declare the target to every device (a plan alone, as a blueprint read
    /// from a file carries it, declares the target to everyone, as before rollouts existed).
    /// </summary>
    public static AppRollout? Active(RequiredApp app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Rollout is { Id: not null, FromVersionCode: { } from } rollout && from != app.VersionCode && rollout.Plan.IsValid() ? rollout : null;
    }

    /// <summary>
    /// The rollout that replaces <paramref name="previous"/>'s (the app as the blueprint named it before) with a new
    /// version: it starts from the version named before, and when the earlier rollout was still staged, devices
    /// waiting on its from version (or on versions it kept) keep theirs. <paramref name="targetVersionCode"/> is the
    /// new version, which is never a kept one.
    /// </summary>
    public static AppRollout Replacing(RequiredApp previous, RolloutPlan plan, string id, long targetVersionCode)
    {
        ArgumentNullException.ThrowIfNull(previous);
        ArgumentNullException.ThrowIfNull(plan);
        var kept = new List<AppVersion>();
        if (previous.Rollout is { FromVersionCode: { } earlierFrom } earlier && earlierFrom != previous.VersionCode)
        {
            kept.Add(new AppVersion(earlierFrom, earlier.FromVersionName ?? earlierFrom.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            kept.AddRange(earlier.KeptVersions ?? []);
        }

        var keptVersions = kept
            .Where(v => v.VersionCode != previous.VersionCode && v.VersionCode != targetVersionCode)
            .DistinctBy(v => v.VersionCode)
            .Take(MaxKeptVersions)
            .ToList();
        return new AppRollout(plan)
        {
            Id = id,
            FromVersionCode = previous.VersionCode,
            FromVersionName = previous.VersionName,
            KeptVersions = keptVersions.Count == 0 ? null : keptVersions,
        };
    }
}

/// <summary>One version of an app, as a blueprint names it.</summary>
public sealed record AppVersion(long VersionCode, string VersionName);

/// <summary>The oldest OS version and security patch level allowed on the floor.</summary>
public sealed record OsFloor(string? MinVersion, DateOnly? MinSecurityPatch);

/// <summary>A configuration payload; its hash is what a device reports once it applied it.</summary>
public sealed record ConfigurationPayload(string Id, IReadOnlyDictionary<string, string> Values)
{
    // Drift compares every configuration's hash on every check-in; SHA-256 of the sorted values each time showed
    // in the appliance's profile. Kept beside the payload (by reference, so equality and `with` are unaffected:
    // a copy is a new key and gets its own hash).
    private static readonly ConditionalWeakTable<ConfigurationPayload, string> Hashes = [];

    public string Hash => Hashes.GetValue(this, static payload => CanonicalHash.Of(payload.Values));
}

/// <summary>A certificate the device must hold, valid for at least <see cref="MinDaysValid"/> more days.</summary>
public sealed record CertificateRule(string Name, int MinDaysValid);

public static class BlueprintDeclarations
{
    /// <summary>
    /// The hash of what central IT wrote: the declarations token and each app's rollout plan. Two blueprints
    /// with the same content hash need no update. What the hub adds to a rollout (its id, the version it
    /// started from) is not part of it, so a file read back against the hub's copy compares equal.
    /// </summary>
    public static string ContentHash(this Blueprint blueprint)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        var parts = new SortedDictionary<string, string>(StringComparer.Ordinal) { [""] = blueprint.ToDeclarations().Token };
        foreach (var app in blueprint.Apps)
        {
            if (app.Rollout is { } rollout)
                parts["rollout " + app.PackageName] = CanonicalHash.OfPlan(rollout.Plan);
        }

        // Only when named, so a blueprint without a plan keeps the hash it always had.
        if (blueprint.StagingPlan is { } plan)
            parts["stagingPlan"] = plan;

        return CanonicalHash.Of(parts);
    }

    /// <summary>
    /// The declarations document a device of this blueprint's group receives. Its token is a hash of the
    /// content, so two identical blueprints give the same token and any change gives a new one.
    /// </summary>
    public static DeclarationsDocument ToDeclarations(this Blueprint blueprint)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        var apps = blueprint.Apps
            .OrderBy(a => a.PackageName, StringComparer.Ordinal)
            .Select(a => new AppDeclaration(a.PackageName, a.VersionCode, a.VersionName))
            .ToList();
        var configurations = blueprint.Configurations
            .OrderBy(c => c.Id, StringComparer.Ordinal)
            .Select(c => new ConfigurationDeclaration(c.Id, CanonicalHash.Sorted(c.Values), c.Hash))
            .ToList();
        var certificates = blueprint.Certificates
            .OrderBy(c => c.Name, StringComparer.Ordinal)
            .Select(c => new CertificateDeclaration(c.Name, c.MinDaysValid))
            .ToList();
        var os = blueprint.Os is null ? null : new OsDeclaration(blueprint.Os.MinVersion, blueprint.Os.MinSecurityPatch);
        var unsigned = new DeclarationsDocument("", blueprint.Group, apps, os, configurations, certificates, blueprint.BatteryHealthFloorPercent);
        return unsigned with { Token = CanonicalHash.Of(unsigned) };
    }
}
