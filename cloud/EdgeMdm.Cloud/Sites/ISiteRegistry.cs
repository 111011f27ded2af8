namespace EdgeMdm.Cloud.Sites;

/// <summary>Sites and their credentials.</summary>
public interface ISiteRegistry
{
    /// <summary>
    /// Registers a site of the tenant. Its id is derived from the name (lowercase, dashes), prefixed with
    /// "TENANT." outside the default tenant so that tenants never compete for ids (a taken id would tell one
    /// tenant of another's site); a name whose id is taken throws <see cref="Storage.StoreConflictException"/>, as
    /// does an unknown tenant. The clear credential is returned once; only its SHA-256 is kept. The new
    /// site's feed starts with the package signing key (once it exists), then every package of its tenant,
    /// then every current blueprint of its tenant; before all of them, <c>SiteRenamed</c> with its id and name, so an
    /// appliance started with no seed learns who it is from its first pull.
    /// </summary>
    Task<NewSite> AddSiteAsync(string tenantId, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Renames a site of the tenant (its id stays) and appends <c>SiteRenamed</c> to its feed in the same transaction.
    /// Returns false when the site already has that name (nothing is appended); a site the tenant does not have
    /// throws <see cref="Storage.StoreConflictException"/>.
    /// </summary>
    Task<bool> RenameSiteAsync(string tenantId, string siteId, string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Appends <c>SiteRenamed</c> to the feed of every site whose feed has never carried its name (sites registered
    /// before the hub fed names), once even with replicas starting together. Returns how many it fed.
    /// </summary>
    Task<int> FeedUnfedNamesAsync(CancellationToken cancellationToken = default);

    Task<IReadOnlyList<SiteSummary>> ListSitesAsync(string tenantId, CancellationToken cancellationToken = default);

    /// <summary>Whether the tenant has this site (false for another tenant's).</summary>
    Task<bool> SiteExistsAsync(string tenantId, string siteId, CancellationToken cancellationToken = default);

    /// <summary>The site a credential belongs to, or null for an unknown credential.</summary>
    Task<string?> AuthenticateSiteAsync(string credential, CancellationToken cancellationToken = default);
}

public sealed record NewSite(string SiteId, string Credential);

public sealed record SiteSummary(string SiteId, string Name, DateTimeOffset? LastSyncAt, ulong AppliedThrough, ulong FeedHead)
{
    /// <summary>What the site last said of its own sync, and when the hub heard it; null until it reported.</summary>
    public SiteSyncReport? Report { get; init; }

    public DateTimeOffset? ReportedAt { get; init; }

    /// <summary>
    /// Upstream changes the site holds that the hub has not applied, as far as the hub knows: the head the
    /// site last reported minus what has been applied since (so it shrinks as a backlog drains); null when
    /// the site never reported.
    /// </summary>
    public ulong? Backlog => Report is { } r ? r.OutboxHead > AppliedThrough ? r.OutboxHead - AppliedThrough : 0 : null;

    /// <summary>The silence after which the time since the last report counts as lag (a few sync rounds).</summary>
    public static readonly TimeSpan SilentAfter = TimeSpan.FromMinutes(2);

    /// <summary>
    /// How far behind the hub's view of the site is, at <paramref name="now"/>: the age of the oldest pending
    /// change at the last report (0 when the backlog is drained), plus the time since that report when the
    /// site has been silent for more than <see cref="SilentAfter"/>; null when the site never reported.
    /// </summary>
    public TimeSpan? Lag(DateTimeOffset now)
    {
        if (Report is not { } r || ReportedAt is not { } reportedAt)
            return null;
        var pending = Backlog > 0 && r.OldestPendingAt is { } oldest && reportedAt > oldest ? reportedAt - oldest : TimeSpan.Zero;
        var silence = now - reportedAt;
        return silence > SilentAfter ? pending + silence : pending;
    }
}

/// <summary>
/// A site's view of its own sync, from its Hello: unacknowledged changes (<paramref name="OutboxDepth"/>), the
/// highest sequence it wrote, when the oldest pending change happened, its uplink state and last successful sync.
/// </summary>
public sealed record SiteSyncReport(ulong OutboxDepth, ulong OutboxHead, DateTimeOffset? OldestPendingAt, string UplinkState, DateTimeOffset? SiteLastSyncAt);
