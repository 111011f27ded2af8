using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Sync;

/// <summary>What flows down to a site: its positioned change feed.</summary>
public interface IFeedStore
{
    /// <summary>Appends a change at the site's next position (1, 2, 3... without gaps, under the site's row lock) and returns it.</summary>
    Task<ulong> AppendToFeedAsync(string siteId, HubChange change, CancellationToken cancellationToken = default);

    /// <summary>Up to <paramref name="max"/> changes after <paramref name="afterPosition"/>, in position order, each with its position set.</summary>
    Task<IReadOnlyList<HubChange>> ReadFeedAsync(string siteId, ulong afterPosition, int max, CancellationToken cancellationToken = default);

    /// <summary>The position of the site's newest feed change; 0 for an empty feed.</summary>
    Task<ulong> FeedHeadAsync(string siteId, CancellationToken cancellationToken = default);
}
