using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Accounts;

internal sealed class SqlAdminTokens(IHubDatabase db, TimeProvider time, ITenantGuard tenants) : IAdminTokens
{
    public async Task<string> CreateApiTokenAsync(
        string tenantId, string name, HubGrant? grant = null, TimeSpan? lifetime = null, CancellationToken cancellationToken = default)
    {
        grant ??= HubGrant.TenantAdmin;
        if (HubRoles.ScopeProblem(grant.Role, grant.Sites) is { } problem)
            throw new ArgumentException("role " + problem, nameof(grant));
        var token = HubIds.NewSecret();
        var now = time.GetUtcNow();
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await tenants.RequireTenantAsync(s, tenantId);
        await s.ExecuteAsync(
            "INSERT INTO api_tokens (token_hash, tenant_id, name, created_at, expires_at, role, sites) VALUES (?, ?, ?, ?, ?, ?, ?)",
            CanonicalHash.Sha256Hex(token), tenantId, name, now.ToUnixTimeMilliseconds(),
            (now + (lifetime ?? HubGrant.DefaultTokenLifetime)).ToUnixTimeMilliseconds(), grant.Role, HubRoles.JoinScope(grant.Sites));
        await s.CommitAsync();
        return token;
    }

    public async Task<ApiCaller?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
            return null;
        await using var s = await db.BeginAsync(write: false, cancellationToken);

        // A sign-in token speaks with its account's role as it is now: a demoted account's tokens are demoted at once.
        var row = await s.SingleOrDefaultAsync(
            """
            SELECT t.tenant_id, t.name, t.account_name, t.expires_at, COALESCE(a.role, t.role),
                   CASE WHEN a.user_name IS NULL THEN t.sites ELSE a.sites END
            FROM api_tokens t LEFT JOIN accounts a ON a.tenant_id = t.tenant_id AND a.user_name = t.account_name
            WHERE t.token_hash = ?
            """,
            CanonicalHash.Sha256Hex(token));
        if (row is null)
            return null;
        return new ApiCaller(row.Text(0), row.Text(1), row.NullableText(2))
        {
            ExpiresAt = row.NullableLong(3) is { } expiresAt ? DateTimeOffset.FromUnixTimeMilliseconds(expiresAt) : null,
            Role = row.Text(4),
            Sites = HubRoles.SplitScope(row.NullableText(5)),
        };
    }

    public async Task<int> BoundUnexpiringTokensAsync(TimeSpan lifetime, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        var bounded = await s.ExecuteAsync(
            "UPDATE api_tokens SET expires_at = ? WHERE expires_at IS NULL", (time.GetUtcNow() + lifetime).ToUnixTimeMilliseconds());
        await s.CommitAsync();
        return bounded;
    }
}
