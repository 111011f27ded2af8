using EdgeMdm.Contracts.Sync;

namespace EdgeMdm.Cloud.Catalog;

internal sealed class SqlBlueprintSeed(IFeedWriter feed) : IBlueprintSeed
{
    public async Task AppendToNewSiteAsync(HubSession session, string siteId, string tenantId)
    {
        ArgumentNullException.ThrowIfNull(session);
        foreach (var row in await session.QueryAsync("SELECT group_name, blueprint_json FROM blueprints WHERE tenant_id = ? ORDER BY group_name", tenantId))
            await feed.AppendAsync(session, siteId, new HubChange { BlueprintUpserted = new() { Group = row.Text(0), BlueprintJson = row.Text(1) } });
    }
}
