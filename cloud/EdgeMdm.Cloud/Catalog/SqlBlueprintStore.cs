using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Catalog;

internal sealed class SqlBlueprintStore(
    IHubDatabase db, TimeProvider time, IRolloutRecorder rollouts, ISiteDirectory sites, IFeedWriter feed, BlueprintProtection protection)
    : IBlueprintStore
{
    public async Task<bool> UpsertBlueprintAsync(string tenantId, Blueprint blueprint, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(blueprint);
        var normalized = blueprint with
        {
            Configurations = blueprint.Configurations.Select(c => c with { Values = CanonicalHash.Sorted(c.Values) }).ToList(),
        };
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        var existing = await s.SingleOrDefaultAsync("SELECT blueprint_json FROM blueprints WHERE tenant_id = ? AND group_name = ?", tenantId, blueprint.Group);
        var held = existing is null ? null : BlueprintOf(existing.Text(0));
        var stored = rollouts.WithRollouts(normalized, held);

        // The content hash covers what devices see and the rollout plans: if it is unchanged, feeding the
        // blueprint again would only make every site do work for nothing; a plan-only change is fed, because the
        // sites gate devices by the plan.
        if (held is not null && string.Equals(EffectiveContentHash(held), EffectiveContentHash(stored), StringComparison.Ordinal))
            return false;
        var json = JsonSerializer.Serialize(stored, CloudJson.Default.Blueprint);
        await s.ExecuteAsync(
            """
            INSERT INTO blueprints (tenant_id, group_name, blueprint_json, token, updated_at) VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, group_name) DO UPDATE SET blueprint_json = excluded.blueprint_json, token = excluded.token, updated_at = excluded.updated_at
            """,
            tenantId, blueprint.Group, protection.Protect(json), stored.ToDeclarations().Token, time.GetUtcNow().ToUnixTimeMilliseconds());
        await rollouts.RecordAsync(s, tenantId, stored, held);
        await AppendToTenantSitesAsync(s, tenantId, protection.FeedRow(blueprint.Group, json));
        await s.CommitAsync();
        return true;
    }

    public async Task<bool> DeleteBlueprintAsync(string tenantId, string group, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        if (await s.ExecuteAsync("DELETE FROM blueprints WHERE tenant_id = ? AND group_name = ?", tenantId, group) == 0)
            return false;
        await rollouts.EndGroupAsync(s, tenantId, group);
        await AppendToTenantSitesAsync(s, tenantId, new HubChange { BlueprintDeleted = new() { Group = group } });
        await s.CommitAsync();
        return true;
    }

    public async Task<IReadOnlyList<Blueprint>> ListBlueprintsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT blueprint_json FROM blueprints WHERE tenant_id = ? ORDER BY group_name", tenantId);
        return rows.Select(r => BlueprintOf(r.Text(0))).ToList();
    }

    /// <summary>
    /// The hash that says whether an upsert changes anything: <see cref="BlueprintDeclarations.ContentHash"/> with an
    /// app that names no plan counted as naming <see cref="RolloutPlan.Default"/>, which is what it rolls out with.
    /// Without that, a file that never names a plan would differ from the hub's copy once a rollout started.
    /// </summary>
    internal static string EffectiveContentHash(Blueprint blueprint) =>
        (blueprint with { Apps = blueprint.Apps.Select(a => a.Rollout is null ? a with { Rollout = new AppRollout(RolloutPlan.Default) } : a).ToList() })
        .ContentHash();

    /// <summary>A stored blueprint (protected, or clear as an older hub wrote it: <see cref="BlueprintProtection.Open"/>).</summary>
    private Blueprint BlueprintOf(string stored) =>
        JsonSerializer.Deserialize(protection.Open(stored), CloudJson.Default.Blueprint) ?? throw new InvalidDataException("a stored blueprint is null");

    private async Task AppendToTenantSitesAsync(HubSession s, string tenantId, HubChange change) =>
        await feed.AppendToEachAsync(s, await sites.SiteIdsAsync(s, tenantId), change);
}
