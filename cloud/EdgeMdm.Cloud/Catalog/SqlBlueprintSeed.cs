namespace EdgeMdm.Cloud.Catalog;

internal sealed class SqlBlueprintSeed(IFeedWriter feed, BlueprintProtection protection) : IBlueprintSeed
{
    public async Task AppendToNewSiteAsync(HubSession session, string siteId, string tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var row in await session.QueryAsync("SELECT group_name, blueprint_json FROM blueprints WHERE tenant_id = ? ORDER BY group_name", tenantId))
            await feed.AppendAsync(session, siteId, protection.FeedRow(row.Text(0), protection.Open(row.Text(1))));
    }
}
