namespace EdgeMdm.Cloud.Packages;

/// <summary>The packages a new site's feed starts with (<see cref="Sites.ISiteRegistry.AddSiteAsync"/>).</summary>
internal interface IPackageSeed
{
    /// <summary>
    /// Appends, inside the caller's transaction, what a new site's feed starts with: the key when there is one,
    /// then each package of its tenant, oldest first.
    /// </summary>
    Task AppendToNewSiteAsync(HubSession session, string siteId, string tenantId);
}
