using System.Text.Json;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Staging;

namespace EdgeMdm.Cloud.Staging;

internal sealed class SqlStagingPlanStore(IHubDatabase db, TimeProvider time, ISiteDirectory sites, IFeedWriter feed, StagingPlanProtection protection)
    : IStagingPlanStore
{
    public async Task<bool> UpsertPlanAsync(string tenantId, StagingPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var normalized = plan.Normalized();
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        var existing = await s.SingleOrDefaultAsync("SELECT plan_protected FROM staging_plans WHERE tenant_id = ? AND name = ?", tenantId, plan.Name);
        if (existing is not null && protection.Unprotect(existing.Text(0)).SameAs(normalized))
            return false;
        await s.ExecuteAsync(
            """
            INSERT INTO staging_plans (tenant_id, name, plan_redacted_json, plan_protected, content_hash, updated_at) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (tenant_id, name) DO UPDATE SET plan_redacted_json = excluded.plan_redacted_json, plan_protected = excluded.plan_protected,
                content_hash = excluded.content_hash, updated_at = excluded.updated_at
            """,
            tenantId, plan.Name, StagingPlanJson.SerializeRedacted(normalized), protection.Protect(normalized), normalized.ContentHash(),
            time.GetUtcNow().ToUnixTimeMilliseconds());
        await feed.AppendToEachAsync(s, await sites.SiteIdsAsync(s, tenantId), protection.FeedRow(normalized));
        await s.CommitAsync();
        return true;
    }

    public async Task<bool> DeletePlanAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        if (await s.ExecuteAsync("DELETE FROM staging_plans WHERE tenant_id = ? AND name = ?", tenantId, name) == 0)
            return false;
        await feed.AppendToEachAsync(s, await sites.SiteIdsAsync(s, tenantId), new HubChange { StagingPlanDeleted = new() { Name = name } });
        await s.CommitAsync();
        return true;
    }

    public async Task<IReadOnlyList<StoredStagingPlan>> ListPlansAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT name, content_hash, updated_at, plan_redacted_json FROM staging_plans WHERE tenant_id = ? ORDER BY name", tenantId);
        return rows.Select(Stored).ToList();
    }

    public async Task<StoredStagingPlan?> GetPlanAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT name, content_hash, updated_at, plan_redacted_json FROM staging_plans WHERE tenant_id = ? AND name = ?", tenantId, name);
        return row is null ? null : Stored(row);
    }

    public async Task<IReadOnlyList<string>?> CompareAsync(string tenantId, StagingPlan plan, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT plan_protected FROM staging_plans WHERE tenant_id = ? AND name = ?", tenantId, plan.Name);
        return row is null ? null : StagingPlanDiff.Between(protection.Unprotect(row.Text(0)), plan.Normalized());
    }

    private static StoredStagingPlan Stored(Row row)
    {
        using var redacted = JsonDocument.Parse(row.Text(3));
        return new(row.Text(0), row.Text(1), row.Time(2), redacted.RootElement.Clone());
    }
}
