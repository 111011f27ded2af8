namespace EdgeMdm.EndToEnd;

/// <summary>
/// A hub on a SQLite directory of the test's own with one site added through its REST API; the site's appliance, which the
/// test starts, keeps its data beside the hub's, in <see cref="EdgeDirectory"/>. Disposing stops the hub and removes both.
/// </summary>
internal sealed class HubWithSite : IAsyncDisposable
{
    private readonly TempDirectory _data;

    private HubWithSite(TempDirectory data, HubProcess hub, (string SiteId, string Credential) site)
    {
        _data = data;
        Hub = hub;
        (SiteId, Credential) = site;
    }

    public HubProcess Hub { get; }

    public string SiteId { get; }

    /// <summary>What the site's appliance dials the hub with (<c>--site-credential</c>).</summary>
    public string Credential { get; }

    public string HubDirectory => Path.Combine(_data.Path, "hub");

    public string EdgeDirectory => Path.Combine(_data.Path, "edge");

    public static async Task<HubWithSite> StartAsync(string siteName)
    {
        var data = new TempDirectory();
        HubProcess? hub = null;
        try
        {
            hub = await HubProcess.StartAsync(Path.Combine(data.Path, "hub"));
            return new HubWithSite(data, hub, await hub.AddSiteAsync(siteName));
        }
        catch
        {
            if (hub is not null)
                await hub.DisposeAsync();
            data.Dispose();
            throw;
        }
    }

    /// <summary>What most tests want in locals: <c>var (hub, siteId, credential, edgeDirectory) = hubWithSite;</c></summary>
    public void Deconstruct(out HubProcess hub, out string siteId, out string credential, out string edgeDirectory) =>
        (hub, siteId, credential, edgeDirectory) = (Hub, SiteId, Credential, EdgeDirectory);

    public async ValueTask DisposeAsync()
    {
        await Hub.DisposeAsync();
        _data.Dispose();
    }
}
