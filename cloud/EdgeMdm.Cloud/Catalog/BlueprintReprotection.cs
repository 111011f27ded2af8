using EdgeMdm.Contracts.Sync;
using Google.Protobuf;

namespace EdgeMdm.Cloud.Catalog;

/// <summary>
/// Protects in place what a hub from before <see cref="BlueprintProtection"/> stored in clear: the blueprints, and the
/// blueprint upserts of every site's feed (still signed over their clear JSON, which they give back to the site as
/// before). Run once the hub is built, before it serves; after the first start that found clear rows it only reads.
/// </summary>
internal sealed class BlueprintReprotection(IHubDatabase db, BlueprintProtection protection, ILogger<BlueprintReprotection> log)
{
    private const string ClearBlueprints = "FROM blueprints WHERE blueprint_json LIKE '{%'";
    private const int FeedPage = 500;

    /// <summary>How many blueprints and feed rows were protected (0, 0 when none was clear).</summary>
    public async Task<(int Blueprints, int FeedRows)> ReprotectAsync(CancellationToken cancellationToken = default)
    {
        await using (var read = await db.BeginAsync(write: false, cancellationToken))
        {
            if (await read.SingleOrDefaultAsync("SELECT 1 " + ClearBlueprints + " LIMIT 1") is null)
                return (0, 0);
        }

        // The catalog lock makes replicas starting together queue here; the second one finds nothing clear left.
        await using var s = await db.BeginAsync(write: true, cancellationToken);
        await db.LockCatalogAsync(s);
        var clear = await s.QueryAsync("SELECT tenant_id, group_name, blueprint_json " + ClearBlueprints);
        foreach (var row in clear)
        {
            await s.ExecuteAsync(
                "UPDATE blueprints SET blueprint_json = ? WHERE tenant_id = ? AND group_name = ?", protection.Protect(row.Text(2)), row.Text(0), row.Text(1));
        }

        var feedRows = clear.Count == 0 ? 0 : await ReprotectFeedAsync(s);
        await s.CommitAsync();
        if (clear.Count > 0)
            CatalogLog.ClearBlueprintsProtected(log, clear.Count, feedRows);
        return (clear.Count, feedRows);
    }

    /// <summary>Every site's feed in pages, in (site, position) order; a row is rewritten only when it held clear JSON.</summary>
    private async Task<int> ReprotectFeedAsync(HubSession s)
    {
        var (site, position, protectedRows) = ("", 0UL, 0);
        while (true)
        {
            var page = await s.QueryAsync(
                "SELECT site_id, position, change FROM feed WHERE site_id > ? OR (site_id = ? AND position > ?) ORDER BY site_id, position LIMIT ?",
                site, site, position, FeedPage);
            foreach (var row in page)
            {
                if (protection.ProtectedOldRow(HubChange.Parser.ParseFrom(row.Bytes(2))) is not { } rewritten)
                    continue;
                await s.ExecuteAsync("UPDATE feed SET change = ? WHERE site_id = ? AND position = ?", rewritten.ToByteArray(), row.Text(0), row.ULong(1));
                protectedRows++;
            }

            if (page.Count < FeedPage)
                return protectedRows;
            (site, position) = (page[^1].Text(0), page[^1].ULong(1));
        }
    }
}
