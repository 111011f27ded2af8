using EdgeMdm.Domain.Security;

namespace EdgeMdm.Cloud.Accounts;

/// <summary>API tokens for central IT's REST calls (the CLI).</summary>
public interface IAdminTokens
{
    /// <summary>
    /// Creates a token of the tenant, not bound to an account (the hub operator's <c>admin-token create</c>), with
    /// <paramref name="grant"/> (null: <see cref="HubGrant.TenantAdmin"/>) and valid for <paramref name="lifetime"/>
    /// (null: <see cref="HubGrant.DefaultTokenLifetime"/>); returns it in clear, once; only its SHA-256 is kept. An
    /// unknown tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<string> CreateApiTokenAsync(
        string tenantId, string name, HubGrant? grant = null, TimeSpan? lifetime = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Who the token speaks for, or null for an unknown token. An expired token is answered too, with its
    /// <see cref="ApiCaller.ExpiresAt"/> in the past, so the API can say it expired rather than that it is unknown.
    /// A token a sign-in issued carries its account's role and scope as they are now.
    /// </summary>
    Task<ApiCaller?> AuthenticateApiTokenAsync(string token, CancellationToken cancellationToken = default);

    /// <summary>
    /// Gives every token without an expiry (made before tokens expired) one, <paramref name="lifetime"/> from now;
    /// returns how many there were.
    /// </summary>
    Task<int> BoundUnexpiringTokensAsync(TimeSpan lifetime, CancellationToken cancellationToken = default);
}

/// <summary>
/// Who an API token speaks for: its tenant, and the name recorded as the creator of what it does (the token's
/// name, or the account's user name for a token a sign-in issued, then also <see cref="Account"/>); its role and
/// site scope (<see cref="HubRoles"/>) and until when it is valid (null only for a row older than expiries).
/// </summary>
public sealed record ApiCaller(string TenantId, string Name, string? Account)
{
    public string Role { get; init; } = HubRoles.TenantAdmin;

    /// <summary>The sites a <see cref="HubRoles.SiteOperator"/> is limited to; empty for the other roles.</summary>
    public IReadOnlyList<string> Sites { get; init; } = [];

    public DateTimeOffset? ExpiresAt { get; init; }

    public bool IsExpiredAt(DateTimeOffset now) => ExpiresAt is { } expiresAt && expiresAt <= now;
}

/// <summary>A role and, for a site operator, the sites it is limited to (<see cref="HubRoles.ScopeProblem"/> holds).</summary>
public sealed record HubGrant(string Role, IReadOnlyList<string> Sites)
{
    /// <summary>How long an <c>admin-token create</c> token lasts when not told; the longest it may last is <see cref="MaxTokenLifetime"/>.</summary>
    public static readonly TimeSpan DefaultTokenLifetime = TimeSpan.FromDays(30);

    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromDays(365);

    public static HubGrant TenantAdmin { get; } = new(HubRoles.TenantAdmin, []);

    /// <summary>The grant of a row: its role and its scope column.</summary>
    internal static HubGrant Of(string role, string? sites) => new(role, HubRoles.SplitScope(sites));
}
