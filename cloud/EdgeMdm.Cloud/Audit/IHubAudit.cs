using EdgeMdm.Domain.Audit;

namespace EdgeMdm.Cloud.Audit;

/// <summary>
/// The hub's audit trail: one hash chain per tenant for the hub's own changes, and each site's chain as the site sent
/// it. Declared by Audit; the features whose changes a person makes (sign-ins, accounts, tokens, sites, site users,
/// commands, blueprints, packages, rollouts, the console's actions) record them here.
/// </summary>
public interface IHubAudit
{
    /// <summary>Appends <paramref name="entry"/> to <paramref name="tenantId"/>'s chain in a transaction of its own; nothing for a tenant that does not exist.</summary>
    Task RecordAsync(string tenantId, AuditEntry entry, CancellationToken cancellationToken = default);

    /// <summary>
    /// The records of the tenant's chain (<paramref name="siteId"/> null) or of one of its sites' chains whose time is in
    /// [<paramref name="since"/>, <paramref name="until"/>), by time; null when the site is not the tenant's.
    /// </summary>
    Task<IReadOnlyList<AuditRecord>?> RecordsAsync(
        string tenantId, string? siteId, DateTimeOffset? since, DateTimeOffset? until, CancellationToken cancellationToken = default);

    /// <summary>
    /// The tenant's chain and each of its sites' chains (or one site's, <paramref name="siteId"/>) verified as stored,
    /// against the heads held apart; null when the site is not the tenant's.
    /// </summary>
    Task<AuditVerificationView?> VerifyAsync(string tenantId, string? siteId, CancellationToken cancellationToken = default);
}

/// <summary>One problem of a chain as the API shows it.</summary>
public sealed record AuditProblemView(string Chain, long Index, string Kind, string Detail, string Text);

/// <summary>The verdict over the chains a tenant holds.</summary>
public sealed record AuditVerificationView(int Chains, int Records, bool AllVerify, IReadOnlyList<AuditProblemView> Problems);

/// <summary>The chain names at the hub.</summary>
public static class AuditChains
{
    public static string OfTenant(string tenantId) => "tenant:" + tenantId;

    public static string OfSite(string siteId) => "site:" + siteId;
}
