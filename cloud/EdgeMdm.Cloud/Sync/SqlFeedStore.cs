using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Sync;

internal sealed class SqlFeedStore(IHubDatabase db, IFeedWriter writer, Staging.StagingPlanProtection plans, Catalog.BlueprintProtection blueprints)
    : IFeedStore
{
    public async Task<ulong> AppendToFeedAsync(string siteId, HubChange change, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(change);
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        var position = await writer.AppendAsync(s, siteId, change);
        await s.CommitAsync();
        return position;
    }

    public async Task<IReadOnlyList<HubChange>> ReadFeedAsync(string siteId, ulong afterPosition, int max, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        var rows = await s.QueryAsync(
            "SELECT change FROM feed WHERE site_id = ? AND position > ? ORDER BY position LIMIT ?", siteId, afterPosition, Math.Max(0, max));
        // A staging plan's and a blueprint's feed row hold it protected; the clear form is made here, for the message to this site only.
        return rows.Select(r => blueprints.ForSite(plans.ForSite(HubChange.Parser.ParseFrom(r.Bytes(0))))).ToList();
    }

    public async Task<ulong> FeedHeadAsync(string siteId, CancellationToken cancellationToken = default)
    {
        await using var s = await db.BeginAsync(write: false, cancellationToken);
        return (await s.SingleOrDefaultAsync("SELECT feed_head FROM sites WHERE site_id = ?", siteId))?.ULong(0) ?? 0;
    }
}
