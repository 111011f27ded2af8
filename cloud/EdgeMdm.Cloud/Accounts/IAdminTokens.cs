namespace EdgeMdm.Cloud.Accounts;

/// <summary>API tokens for central IT's REST calls (the CLI).</summary>
public interface IAdminTokens
{
    /// <summary>
    /// Creates a token of the tenant, not bound to an account and without expiry (the hub operator's
    /// <c>admin-token create</c>), and returns it in clear, once; only its SHA-256 is kept. An unknown
    /// tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<string> CreateApiTokenAsync(string tenantId, string name, CancellationToken cancellationToken = default);

    /// <summary>Who the token speaks for, or null for an unknown or expired token.</summary>
    Task<ApiCaller?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default);
}

/// <summary>
/// Who an API token speaks for: its tenant, and the name recorded as the creator of what it does (the token's
/// name, or the account's user name for a token a sign-in issued, then also <see cref="Account"/>).
/// </summary>
public sealed record ApiCaller(string TenantId, string Name, string? Account);
