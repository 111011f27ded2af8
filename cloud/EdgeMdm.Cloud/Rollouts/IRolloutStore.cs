namespace EdgeMdm.Cloud.Rollouts;

/// <summary>The rollouts blueprint upserts started (see <see cref="Catalog.IBlueprintStore.UpsertBlueprintAsync"/>).</summary>
public interface IRolloutStore
{
    /// <summary>Every rollout of the package in the tenant, current and superseded, by group then start.</summary>
    Task<IReadOnlyList<RolloutRecord>> ListRolloutsAsync(string tenantId, string packageName, CancellationToken cancellationToken = default);

    /// <summary>Every current rollout of the tenant (none superseded), whatever the package: by package, then group, then start.</summary>
    Task<IReadOnlyList<RolloutRecord>> ListCurrentRolloutsAsync(string tenantId, CancellationToken cancellationToken = default);
}

/// <summary>
/// One rollout: the group's app moving from one version code to another under <paramref name="Plan"/> (the plan
/// the blueprint names now). <paramref name="SupersededAt"/> is set once a newer version, the app's removal or
/// the blueprint's deletion ended it; null for the group's current rollout of the package.
/// </summary>
public sealed record RolloutRecord(
    string RolloutId, string Group, string PackageName, long FromVersionCode, string FromVersionName,
    long ToVersionCode, string ToVersionName, Domain.Rollouts.RolloutPlan Plan, DateTimeOffset StartedAt, DateTimeOffset? SupersededAt);
