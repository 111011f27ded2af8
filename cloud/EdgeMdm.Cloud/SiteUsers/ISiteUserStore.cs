namespace EdgeMdm.Cloud.SiteUsers;

/// <summary>
/// The people who sign in to a site's appliance. Owned by the hub; each change goes down the site's feed in
/// the same transaction (only the password hash ever leaves the hub). A site of another tenant is unknown.
/// </summary>
public interface ISiteUserStore
{
    /// <summary>
    /// Creates the site user, or replaces its role and password hash (a password reset); returns true when it
    /// was created. A site unknown to the tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<bool> UpsertSiteUserAsync(string tenantId, string siteId, string userName, string role, string passwordHash, CancellationToken cancellationToken = default);

    /// <summary>The site's users by name; null when the tenant has no such site.</summary>
    Task<IReadOnlyList<SiteUserRecord>?> ListSiteUsersAsync(string tenantId, string siteId, CancellationToken cancellationToken = default);

    /// <summary>
    /// Removes the site user and tells the site; false when the site has no such user. A site unknown to the
    /// tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<bool> RemoveSiteUserAsync(string tenantId, string siteId, string userName, CancellationToken cancellationToken = default);
}

/// <summary>A site user as central IT sees it: never its password or hash.</summary>
public sealed record SiteUserRecord(string UserName, string Role, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);
