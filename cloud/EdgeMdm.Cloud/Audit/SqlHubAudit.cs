using EdgeMdm.Cloud.Storage;
using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Chains;

namespace EdgeMdm.Cloud.Audit;

/// <summary>What the upstream calls for an <c>AuditRecorded</c> change (the fleet projection dispatches it here).</summary>
public static class SiteAuditRecords
{
    /// <summary>
    /// Stores the site's record as it came, in the upstream's transaction (the one that moves the site's log past it, so
    /// it counts once), and moves the site chain's head forward. A record the hub holds already changes nothing.
    /// </summary>
    internal static async Task RecordAsync(HubSession session, string siteId, SiteChange change)
    {
        var a = change.AuditRecorded;
        var tenant = (await session.SingleOrDefaultAsync("SELECT tenant_id FROM sites WHERE site_id = ?", siteId))?.Text(0) ?? "";
        var chain = AuditChains.OfSite(siteId);
        var inserted = await session.ExecuteAsync(
            """
            INSERT INTO audit_records (tenant_id, chain, idx, at, actor, action, subject, source, detail, previous_hash, hash, sequence)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (chain, idx) DO NOTHING
            """,
            tenant, chain, (long)a.Index, a.AtUnixMs, a.Actor, a.Action, a.Subject, a.Source, a.Detail, a.PreviousHash, a.Hash, (long)change.Sequence);
        if (inserted == 0)
            return;
        await session.ExecuteAsync(
            """
            INSERT INTO audit_heads (chain, tenant_id, idx, hash) VALUES (?, ?, ?, ?)
            ON CONFLICT (chain) DO UPDATE SET idx = excluded.idx, hash = excluded.hash WHERE excluded.idx > audit_heads.idx
            """,
            chain, tenant, (long)a.Index, a.Hash);
    }
}

internal sealed class SqlHubAudit(IHubDatabase db, TimeProvider clock) : IHubAudit
{
    private const string Columns = "chain, idx, at, actor, action, subject, source, detail, previous_hash, hash";

    public async Task RecordAsync(string tenantId, AuditEntry entry, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await AppendAsync(s, tenantId, entry, clock.GetUtcNow());
        await s.CommitAsync();
    }

    /// <summary>
    /// Appends to the tenant's chain in <paramref name="s"/> (null: no such tenant). The head row is created, then locked by an update before it
    /// is read, so two replicas appending at once take turns (PostgreSQL's row lock; SQLite's write lock is the file's).
    /// </summary>
    internal static async Task<AuditRecord?> AppendAsync(HubSession s, string tenantId, AuditEntry entry, DateTimeOffset now)
    {
        // A sign-in naming a tenant that does not exist has no chain to go to (and must not make one).
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM tenants WHERE tenant_id = ?", tenantId) is null)
            return null;
        var chain = AuditChains.OfTenant(tenantId);
        await s.ExecuteAsync("INSERT INTO audit_heads (chain, tenant_id, idx, hash) VALUES (?, ?, -1, '') ON CONFLICT (chain) DO NOTHING", chain, tenantId);
        await s.ExecuteAsync("UPDATE audit_heads SET idx = idx WHERE chain = ?", chain);
        var head = await s.SingleOrDefaultAsync("SELECT idx, hash FROM audit_heads WHERE chain = ?", chain);
        var next = AuditChain.Next(head is null || head.Long(0) < 0 ? null : new ChainHead(chain, head.Long(0), head.Text(1)), chain, entry, now);
        await s.ExecuteAsync(
            $"INSERT INTO audit_records (tenant_id, {Columns}, sequence) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            tenantId, next.Chain, next.Index, next.At.ToUnixTimeMilliseconds(), next.Actor, next.Action, next.Subject, next.Source, next.Detail,
            next.PreviousHash, next.Hash, next.Index);
        await s.ExecuteAsync("UPDATE audit_heads SET idx = ?, hash = ? WHERE chain = ?", next.Index, next.Hash, chain);
        return next;
    }

    public async Task<IReadOnlyList<AuditRecord>?> RecordsAsync(
        string tenantId, string? siteId, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (siteId is not null && !await SiteOfTenantAsync(s, tenantId, siteId))
            return null;
        var rows = await s.QueryAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant_id = ? AND chain = ? AND at >= ? AND at < ? ORDER BY at, idx",
            tenantId, siteId is null ? AuditChains.OfTenant(tenantId) : AuditChains.OfSite(siteId),
            since?.ToUnixTimeMilliseconds() ?? long.MinValue, until?.ToUnixTimeMilliseconds() ?? long.MaxValue);
        return rows.Select(Record).ToList();
    }

    public async Task<AuditVerificationView?> VerifyAsync(string tenantId, string? siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        if (siteId is not null && !await SiteOfTenantAsync(s, tenantId, siteId))
            return null;
        var only = siteId is null ? "" : AuditChains.OfSite(siteId);
        // In the order the hub received (or appended) them: a row moved, or an index rewritten, shows against it.
        var records = await s.QueryAsync(
            $"SELECT {Columns} FROM audit_records WHERE tenant_id = ? AND (? = '' OR chain = ?) ORDER BY chain, sequence, idx", tenantId, only, only);
        var heads = await s.QueryAsync(
            "SELECT chain, idx, hash FROM audit_heads WHERE tenant_id = ? AND idx >= 0 AND (? = '' OR chain = ?) ORDER BY chain", tenantId, only, only);
        var verdict = AuditChain.Verify(records.Select(Record), heads.Select(h => new ChainHead(h.Text(0), h.Long(1), h.Text(2))));
        return new AuditVerificationView(
            verdict.Chains, verdict.Links, verdict.AllVerify,
            verdict.Problems.Select(p => new AuditProblemView(p.Chain, p.Index, p.Kind.ToString().ToLowerInvariant(), p.Detail, AuditChain.Describe(p))).ToList());
    }

    private static async Task<bool> SiteOfTenantAsync(HubSession s, string tenantId, string siteId) =>
        await s.SingleOrDefaultAsync("SELECT 1 FROM sites WHERE site_id = ? AND tenant_id = ?", siteId, tenantId) is not null;

    private static AuditRecord Record(Row r) =>
        new(r.Text(0), r.Long(1), r.Time(2), r.Text(3), r.Text(4), r.Text(5), r.Text(6), r.Text(7), r.Text(8), r.Text(9));
}

public static class AuditServices
{
    public static IServiceCollection AddAudit(this IServiceCollection services) => services
        .AddSingleton<IHubAudit, SqlHubAudit>();
}
