namespace EdgeMdm.Cloud.Enrollment;

/// <summary>The tokens devices enroll with at a site, issued by central IT and sent down that site's feed as a hash.</summary>
public interface IEnrollmentTokenStore
{
    /// <summary>
    /// Issues an enrollment token for one site of the tenant; returns the clear token once (the site only ever gets
    /// its hash). A site unknown to the tenant throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<string> IssueTokenAsync(string tenantId, string siteId, string group, uint uses, DateTimeOffset expiresAt, CancellationToken cancellationToken = default);
}
