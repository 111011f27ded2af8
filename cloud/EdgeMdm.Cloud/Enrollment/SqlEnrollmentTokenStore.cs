using EdgeMdm.Contracts.Sync;
using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Enrollment;

internal sealed class SqlEnrollmentTokenStore(IHubDatabase db, TimeProvider time, ISiteDirectory sites, IFeedWriter feed) : IEnrollmentTokenStore
{
    public async Task<string> IssueTokenAsync(string tenantId, string siteId, string group, uint uses, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var token = HubIds.NewSecret();
        var hash = CanonicalHash.Sha256Hex(token);
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await sites.RequireSiteAsync(s, tenantId, siteId);
        await feed.AppendAsync(s, siteId, new HubChange
        {
            TokenIssued = new() { TokenHash = hash, TokenPrefix = token[..8], Group = group, Uses = uses, ExpiresUnixMs = expiresAt.ToUnixTimeMilliseconds() },
        });
        await s.ExecuteAsync(
            "INSERT INTO enrollment_tokens (token_hash, site_id, group_name, uses, expires_at, created_at) VALUES (?, ?, ?, ?, ?, ?)",
            hash, siteId, group, uses, expiresAt.ToUnixTimeMilliseconds(), time.GetUtcNow().ToUnixTimeMilliseconds());
        await s.CommitAsync();
        return token;
    }
}
