using EdgeMdm.Contracts.Sync;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Sync;

internal sealed class SqlFeedWriter(TimeProvider time) : IFeedWriter
{
    public async Task<ulong> AppendAsync(HubSession session, string siteId, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(session);
        ArgumentNullException.ThrowIfNull(change);
        var head = await session.SingleOrDefaultAsync("UPDATE sites SET feed_head = feed_head + 1 WHERE site_id = ? RETURNING feed_head", siteId)
            ?? throw new StoreConflictException($"unknown site '{siteId}'");
        var stored = change.Clone();
        stored.Position = head.ULong(0);
        if (stored.AtUnixMs == 0)
            stored.AtUnixMs = time.GetUtcNow().ToUnixTimeMilliseconds();
        await session.ExecuteAsync("INSERT INTO feed (site_id, position, at, change) VALUES (?, ?, ?, ?)", siteId, stored.Position, stored.AtUnixMs, stored.ToByteArray());
        return stored.Position;
    }

    public async Task AppendToEachAsync(HubSession session, IEnumerable<string> siteIds, HubChange change)
    {
        ArgumentNullException.ThrowIfNull(siteIds);
        foreach (var siteId in siteIds)
            await AppendAsync(session, siteId, change);
    }
}
