namespace EdgeMdm.Cloud.Catalog;

/// <summary>The blueprints a new site's feed starts with (<see cref="Sites.ISiteRegistry.AddSiteAsync"/>).</summary>
internal interface IBlueprintSeed
{
    /// <summary>Appends every current blueprint of the tenant, by group, to the site's feed inside the caller's transaction.</summary>
    Task AppendToNewSiteAsync(HubSession session, string siteId, string tenantId);
}
