using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>An account's sign-in tokens are rows of the api_tokens table of <see cref="SqlAdminTokens"/>, this feature's too.</summary>
internal sealed class SqlAccountStore(IHubDatabase db, TimeProvider time, ITenantGuard tenants) : IAccountStore
{
    public async Task AddAccountAsync(string tenantId, string userName, string passwordHash, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await tenants.RequireTenantAsync(s, tenantId);
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM accounts WHERE tenant_id = ? AND user_name = ?", tenantId, userName) is not null)
            throw new StoreConflictException($"an account named '{userName}' exists");
        await s.ExecuteAsync(
            "INSERT INTO accounts (tenant_id, user_name, password_hash, created_at) VALUES (?, ?, ?, ?)",
            tenantId, userName, passwordHash, time.GetUtcNow().ToUnixTimeMilliseconds());
        await s.CommitAsync();
    }

    public async Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync("SELECT user_name, created_at FROM accounts WHERE tenant_id = ? ORDER BY user_name", tenantId);
        return rows.Select(r => new AccountRecord(r.Text(0), r.Time(1))).ToList();
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
        if (await s.SingleOrDefaultAsync("SELECT 1 FROM accounts WHERE tenant_id = ? AND user_name = ?" + db.ForUpdate, tenantId, userName) is null)
            throw new StoreConflictException($"no account '{userName}'");
        await s.ExecuteAsync(
            "INSERT INTO api_tokens (token_hash, tenant_id, name, account_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            CanonicalHash.Sha256Hex(token), tenantId, userName, userName, time.GetUtcNow().ToUnixTimeMilliseconds(), expiresAt.ToUnixTimeMilliseconds());
        await s.CommitAsync();
        return token;
    }
}
