using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Accounts;

internal sealed class SqlAdminTokens(IHubDatabase db, TimeProvider time, ITenantGuard tenants) : IAdminTokens
{
    public async Task<string> CreateApiTokenAsync(string tenantId, string name, CancellationToken cancellationToken = default)
    {
        var token = HubIds.NewSecret();
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await tenants.RequireTenantAsync(s, tenantId);
        await s.ExecuteAsync(
            "INSERT INTO api_tokens (token_hash, tenant_id, name, created_at) VALUES (?, ?, ?, ?)",
            CanonicalHash.Sha256Hex(token), tenantId, name, time.GetUtcNow().ToUnixTimeMilliseconds());
        await s.CommitAsync();
        return token;
    }

    public async Task<ApiCaller?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default)
    {
        if (string.IsNullOrEmpty(token))
            return null;
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync(
            "SELECT tenant_id, name, account_name, expires_at FROM api_tokens WHERE token_hash = ?", CanonicalHash.Sha256Hex(token));
        if (row is null || (row.NullableLong(3) is { } expiresAt && expiresAt <= time.GetUtcNow().ToUnixTimeMilliseconds()))
            return null;
        return new ApiCaller(row.Text(0), row.Text(1), row.NullableText(2));
    }
}
