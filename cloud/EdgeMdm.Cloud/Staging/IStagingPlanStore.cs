using System.Text.Json;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Cloud.Staging;

/// <summary>
/// A tenant's staging plans, by name. Secrets are stored only protected (<see cref="StagingPlanProtection"/>); what
/// this interface gives back for showing (<see cref="StoredStagingPlan.Plan"/>) is the redacted form, whose secrets
/// cannot be revealed. Each change is appended to the feeds of the tenant's sites in the same transaction.
/// </summary>
public interface IStagingPlanStore
{
    /// <summary>Stores the plan and feeds it to the tenant's sites; false (and nothing fed) when it is the same plan, secrets included.</summary>
    Task<bool> UpsertPlanAsync(string tenantId, StagingPlan plan, CancellationToken cancellationToken = default);

    /// <summary>Deletes the plan and tells the tenant's sites; false when there was none.</summary>
    Task<bool> DeletePlanAsync(string tenantId, string name, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<StoredStagingPlan>> ListPlansAsync(string tenantId, CancellationToken cancellationToken = default);

    Task<StoredStagingPlan?> GetPlanAsync(string tenantId, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// What storing <paramref name="plan"/> would change, for a dry run: null when the tenant has no plan of that
    /// name, else <see cref="StagingPlanDiff.Between"/> the stored plan (its secrets compared, never shown) and this one.
    /// </summary>
    Task<IReadOnlyList<string>?> CompareAsync(string tenantId, StagingPlan plan, CancellationToken cancellationToken = default);
}

/// <summary>A stored plan as it may be shown: <see cref="Plan"/> is the redacted JSON (each secret "(secret)"), which cannot be revealed.</summary>
public sealed record StoredStagingPlan(string Name, string ContentHash, DateTimeOffset UpdatedAt, JsonElement Plan);
