using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>Central IT's accounts: a user name and a password per tenant, signing in for API tokens.</summary>
public interface IAccountStore
{
    /// <summary>
    /// Adds an account with an already hashed password and <paramref name="grant"/> (null: a tenant admin); a taken
    /// name (or an unknown tenant) throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task AddAccountAsync(string tenantId, string userName, string passwordHash, HubGrant? grant = null, CancellationToken cancellationToken = default);

    /// <summary>Gives the account another role and scope, for its tokens and sessions too; false when the tenant has no such account.</summary>
    Task<bool> SetAccountGrantAsync(string tenantId, string userName, HubGrant grant, CancellationToken cancellationToken = default);

    /// <summary>What signing in as the account needs: its password hash and its grant; null when the tenant (or the account) does not exist.</summary>
    Task<AccountCredential?> AccountCredentialAsync(string tenantId, string userName, CancellationToken cancellationToken = default);

    Task<IReadOnlyList<AccountRecord>> ListAccountsAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Removes the account and every API token issued to it; false when the tenant has no such account.</summary>
    Task<bool> RemoveAccountAsync(string tenantId, string userName, CancellationToken cancellationToken = default);

    /// <summary>The account's stored password hash, or null when the tenant (or the account) does not exist.</summary>
    Task<string?> AccountPasswordHashAsync(string tenantId, string userName, CancellationToken cancellationToken = default);

    /// <summary>
    /// Issues an API token bound to the account, valid until <paramref name="expiresAt"/>; returns it in clear,
    /// once. An account removed meanwhile throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<string> IssueAccountTokenAsync(string tenantId, string userName, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}

public sealed record AccountRecord(string UserName, DateTimeOffset CreatedAt)
{
    public HubGrant Grant { get; init; } = HubGrant.TenantAdmin;
}

public sealed record AccountCredential(string PasswordHash, HubGrant Grant);
