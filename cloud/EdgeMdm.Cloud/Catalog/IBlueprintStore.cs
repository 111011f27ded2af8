using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Catalog;

/// <summary>
/// Central IT's blueprints, per tenant. Each change is appended to the feeds of the tenant's sites in the same
/// transaction.
/// </summary>
public interface IBlueprintStore
{
    /// <summary>
    /// Stores the tenant's blueprint for the group and feeds it to every site of the tenant; returns false (and
    /// feeds nothing) when its content hash (declarations and rollout plans, an app without a plan counted as
    /// <see cref="Domain.Rollouts.RolloutPlan.Default"/>) is unchanged. An app whose version code changed starts a
    /// rollout (<see cref="Rollouts.IRolloutStore"/>) in the same transaction, superseding the group's current one of the
    /// package, and the stored and fed app carries it (<see cref="AppRollout"/> with id and from-version); an app
    /// whose version is unchanged keeps its rollout with the plan given now; an app new to the group starts none.
    /// </summary>
    Task<bool> UpsertBlueprintAsync(string tenantId, Blueprint blueprint, CancellationToken cancellationToken = default);

    /// <summary>Deletes the tenant's blueprint for the group, ends its rollouts and tells the tenant's sites; false when there was none.</summary>
    Task<bool> DeleteBlueprintAsync(string tenantId, string group, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<Blueprint>> ListBlueprintsAsync(string tenantId, CancellationToken cancellationToken = default);
}
