using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>An account's sign-in tokens are rows of the api_tokens table of <see cref="SqlAdminTokens"/>, this feature's too.</summary>
internal sealed class SqlAccountStore(IHubDatabase db, TimeProvider time, ITenantGuard tenants) : IAccountStore
{
    public async Task AddAccountAsync(string tenantId, string userName, string passwordHash, HubGrant? grant = null, CancellationToken cancellationToken = default)
    {
        grant ??= HubGrant.TenantAdmin;
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await tenants.RequireTenantAsync(s, tenantId);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName) is not null)
            throw new StoreConflictException($"an account named '{userName}' exists");
        await s.ExecuteAsync(
            "INSERT INTO accounts (tenant_id, user_name, password_hash, created_at, role, sites) VALUES (?, ?, ?, ?, ?, ?)",
            tenantId, userName, passwordHash, time.GetUtcNow().ToUnixTimeMilliseconds(), grant.Role, HubRoles.JoinScope(grant.Sites));
        await s.CommitAsync();
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT user_name, created_at, role, sites FROM accounts WHERE tenant_id = ? ORDER BY user_name", tenantId);
        return rows.Select(r => new AccountRecord(r.Text(0), r.Time(1)) { Grant = HubGrant.Of(r.Text(2), r.NullableText(3)) }).ToList();
    }

    public async Task<bool> SetAccountGrantAsync(string tenantId, string userName, HubGrant grant, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(grant);
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        if (await s.ExecuteAsync(
            "UPDATE accounts SET role = ?, sites = ? WHERE tenant_id = ? AND user_name = ?", grant.Role, HubRoles.JoinScope(grant.Sites), tenantId, userName) == 0)
            return false;
        await s.CommitAsync();
        return true;
    }

    public async Task<AccountCredential?> AccountCredentialAsync(string tenantId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var row = await s.SingleOrDefaultAsync("SELECT password_hash, role, sites FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName);
        return row is null ? null : new AccountCredential(row.Text(0), HubGrant.Of(row.Text(1), row.NullableText(2)));
    }

    public async Task<bool> RemoveAccountAsync(string tenantId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        if (await s.ExecuteAsync("DELETE FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName) == 0)
            return false;
        await s.ExecuteAsync("DELETE FROM api_tokens WHERE tenant_id = ? AND account_name = ?", tenantId, userName);
        await s.CommitAsync();
        return true;
    }

    public async Task<string?> AccountPasswordHashAsync(string tenantId, string userName, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return (await s.SingleOrDefaultAsync("SELECT password_hash FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName))?.Text(0);
    }

    public async Task<string> IssueAccountTokenAsync(string tenantId, string userName, DateTimeOffset expiresAt, CancellationToken cancellationToken = default)
    {
        var token = HubIds.NewSecret();
        await using var s = await db.BeginAsync(write: true, cancellationToken);

        // Locking the account's row keeps a removal from slipping between this check and the insert, which
        // would leave a token of an account that no longer exists.
        // The token keeps the account's role and scope as they were when issued; authenticating reads the account's own.
        if (await s.SingleOrDefaultAsync("SELECT role, sites FROM accounts WHERE tenant_id = ? AND user_name = ?" + db.ForUpdate, tenantId, userName) is not { } account)
            throw new StoreConflictException($"no account '{userName}'");
        await s.ExecuteAsync(
            "INSERT INTO api_tokens (token_hash, tenant_id, name, account_name, created_at, expires_at, role, sites) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            CanonicalHash.Sha256Hex(token), tenantId, userName, userName, time.GetUtcNow().ToUnixTimeMilliseconds(), expiresAt.ToUnixTimeMilliseconds(),
            account.Text(0), account.NullableText(1));
        await s.CommitAsync();
        return token;
    }
}
