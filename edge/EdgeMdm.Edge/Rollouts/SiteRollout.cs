using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Edge.Rollouts;

/// <summary>
/// One app's move from one version to another, as the site runs it: every blueprint of the site whose app
/// carries this rollout id (the hub gives each group's rollout its own id; a seed may share one between groups so
/// that a pilot wave can name another group; the plan's pilot groups name devices by serial in any group).
/// </summary>
public sealed record SiteRollout(
    string RolloutId,
    string PackageName,
    long FromVersionCode,
    string FromVersionName,
    long ToVersionCode,
    string ToVersionName,
    RolloutPlan Plan,
    RolloutTarget Target,
    IReadOnlyList<string> Groups)
{
    /// <summary>
    /// The rollouts the blueprints carry. An app's rollout counts only once the hub gave it an id and a version to
    /// roll from that differs from the target; a plan alone (a blueprint read from a file) declares the target to
    /// everyone, as before rollouts existed. The target's minimum OS is its verified package's, when the site has one.
    /// </summary>
    public static IReadOnlyList<SiteRollout> From(IEnumerable<Blueprint> blueprints, Func<string, long, PackageManifest?> verifiedPackage)
    {
        ArgumentNullException.ThrowIfNull(blueprints);
        ArgumentNullException.ThrowIfNull(verifiedPackage);
        var rollouts = new Dictionary<(string, string), SiteRollout>();
        foreach (var blueprint in blueprints.OrderBy(b => b.Group, StringComparer.Ordinal))
        {
            foreach (var app in blueprint.Apps)
            {
                if (ActiveRollout(app) is not { } rollout)
                    continue;
                var key = (rollout.Id!, app.PackageName);
                if (rollouts.TryGetValue(key, out var known))
                {
                    rollouts[key] = known with { Groups = [.. known.Groups, blueprint.Group] };
                    continue;
                }

                var target = verifiedPackage(app.PackageName, app.VersionCode) is { } manifest
                    ? RolloutTarget.Of(manifest)
                    : new RolloutTarget(app.PackageName, app.VersionCode, MinOsVersion: null);
                rollouts[key] = new SiteRollout(
                    rollout.Id!, app.PackageName, rollout.FromVersionCode!.Value, FromNameOf(rollout), app.VersionCode, app.VersionName,
                    rollout.Plan, target, [blueprint.Group])
                {
                    StartedAt = rollout.StartedAt,
                };
            }
        }

        return rollouts.Values.OrderBy(r => r.PackageName, StringComparer.Ordinal).ThenBy(r => r.RolloutId, StringComparer.Ordinal).ToList();
    }

    /// <summary>The app's rollout when the site should stage it (see <see cref="From"/>); null to declare the target to every device.</summary>
    public static AppRollout? ActiveRollout(RequiredApp app) => AppRollout.Active(app);

    public static string FromNameOf(AppRollout rollout)
    {
        ArgumentNullException.ThrowIfNull(rollout);
        return rollout.FromVersionName ?? rollout.FromVersionCode?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "";
    }

    public (string RolloutId, string PackageName) Key => (RolloutId, PackageName);

    /// <summary>When the hub started it (<see cref="AppRollout.StartedAt"/>): the plan's time limits count from it; null = no time limit.</summary>
    public DateTimeOffset? StartedAt { get; init; }
}
