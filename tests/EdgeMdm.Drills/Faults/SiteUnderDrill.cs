namespace EdgeMdm.Drills.Faults;

/// <summary>
/// What most drills start with: a hub, a site on it, its appliance syncing (through a fault proxy when asked) with its
/// feed applied, and a fleet enrolled. Disposing it stops and removes everything it started.
/// </summary>
internal sealed class SiteUnderDrill : IAsyncDisposable
{
    private SiteUnderDrill(DrillHub hub, DrillSiteAccount account, FaultyProxy? proxy, string edgeDir)
    {
        Hub = hub;
        Account = account;
        Proxy = proxy;
        EdgeDir = edgeDir;
    }

    public DrillHub Hub { get; set; }

    public DrillSiteAccount Account { get; }

    /// <summary>Between the appliance and the hub, when the drill asked for one.</summary>
    public FaultyProxy? Proxy { get; }

    public string EdgeDir { get; }

    /// <summary>The appliance serving now (a drill replaces it when it kills or restarts it).</summary>
    public DrillAppliance? Appliance { get; set; }

    public DrillFleet Fleet { get; } = new();

    /// <summary>Where the appliance dials the hub: the proxy, or the hub itself.</summary>
    public Uri Uplink => Proxy?.Url ?? Hub.GrpcUrl;

    /// <param name="hubStore">The hub's database, which the site then owns (disposes); default: SQLite in the work directory.</param>
    public static async Task<SiteUnderDrill> StartAsync(
        DrillContext context, bool withProxy, int devices, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? applianceEnvironment = null, IHubDatabase? hubStore = null)
    {
        hubStore ??= new SqliteHubDatabase(Path.Combine(context.WorkDirectory, "hub"));
        DrillHub hub;
        try
        {
            hub = await DrillHub.StartAsync(hubStore, cancellationToken);
        }
        catch
        {
            await hubStore.DisposeAsync();
            throw;
        }

        SiteUnderDrill? site = null;
        try
        {
            var account = await hub.AddSiteWithFleetTokenAsync("DC Drill");
            site = new SiteUnderDrill(hub, account, withProxy ? new FaultyProxy(hub.GrpcUrl, context.Seed) : null, Path.Combine(context.WorkDirectory, "edge"));
            site.Appliance = await DrillAppliance.StartAsync(site.EdgeDir, site.Uplink, account.Credential, cancellationToken, environment: applianceEnvironment);
            if (!await SyncLedger.WaitFeedAsync(site.EdgeDir, cancellationToken))
                throw new InvalidOperationException("the site applied nothing of its hub's feed within a minute");
            using var client = site.Appliance.CreateClient();
            await site.Fleet.EnrollAsync(client, account.Token, "DRL", devices, cancellationToken);
            return site;
        }
        catch
        {
            if (site is not null)
                await site.DisposeAsync();
            else
            {
                await hub.DisposeAsync();
                await hubStore.DisposeAsync();
            }

            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Appliance is not null)
            await Appliance.DisposeAsync();
        if (Proxy is not null)
            await Proxy.DisposeAsync();
        await Hub.DisposeAsync();
        await Hub.Store.DisposeAsync();
    }
}
