using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Sync;

/// <summary>
/// The feed append every feature that tells sites something uses inside its own transaction, so that a record
/// and the change announcing it commit together or not at all (the hub's side of the outbox).
/// </summary>
internal interface IFeedWriter
{
    /// <summary>
    /// Numbers the change by incrementing the site's feed_head, which locks the site's row until commit: two
    /// appends for one site (from any replica) get consecutive positions, and a rolled-back one leaves no hole.
    /// An unknown site throws <see cref="StoreConflictException"/>.
    /// </summary>
    Task<ulong> AppendAsync(HubSession session, string siteId, HubChange change);

    /// <summary>
    /// Appends the same change to each site's feed, in the order given: a fan-out to a tenant's or every site,
    /// whose ids <see cref="Sites.ISiteDirectory.SiteIdsAsync"/> gives in id order, the order site locks are taken in.
    /// </summary>
    Task AppendToEachAsync(HubSession session, IEnumerable<string> siteIds, HubChange change);
}
