namespace EdgeMdm.Cloud.Sites;

/// <summary>What other features ask of sites inside their own transaction.</summary>
internal interface ISiteDirectory
{
    /// <summary>Whether the tenant has the site (false for another tenant's).</summary>
    Task<bool> SiteExistsAsync(HubSession session, string tenantId, string siteId);

    /// <summary>Refuses a site the tenant does not have (<see cref="StoreConflictException"/>), in words that do not tell whether another tenant has it.</summary>
    Task RequireSiteAsync(HubSession session, string tenantId, string siteId);

    /// <summary>
    /// <see cref="RequireSiteAsync"/> that also takes the site's row lock before anything else is touched, so
    /// a site-user write and a feed append by another transaction queue on the same lock in the same order.
    /// </summary>
    Task LockSiteAsync(HubSession session, string tenantId, string siteId);

    /// <summary>The tenant's sites, or every site of the hub when <paramref name="tenantId"/> is null; in id order, the order locks are taken in.</summary>
    Task<IReadOnlyList<string>> SiteIdsAsync(HubSession session, string? tenantId);

    /// <summary>The tenant a site belongs to; null for an unknown site.</summary>
    Task<string?> TenantOfAsync(HubSession session, string siteId);
}
