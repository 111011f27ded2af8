namespace EdgeMdm.Cloud.Tests;

/// <summary>Issue 25: a site's <c>DeviceReassigned</c> (a swap) moves the device's group and assignment at the hub, on every backend.</summary>
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task A_swap_moves_group_and_assignment_to_the_spare_and_takes_the_broken_devices_away_once_whatever_replays()
    {
        // Arrange: two devices; the broken one was handed to picker 12, the spare sits in the spares group
        var (store, site) = await StoreWithSiteAsync();
        var log = new List<SiteChange>
        {
            Change(1, "dev-broken", new SiteChange { Enrolled = new() { Serial = "SN-B", Model = "TC52", Group = "pickers" } }),
            Change(2, "dev-spare", new SiteChange { Enrolled = new() { Serial = "SN-S", Model = "TC52", Group = "spares" } }),
            Change(3, "dev-broken", new SiteChange { DeviceReassigned = new() { FromGroup = "pickers", ToGroup = "pickers", ToAssignment = "picker 12", Actor = "op", Reason = "assigned" } }),
            Change(4, "dev-spare", new SiteChange { DeviceReassigned = new()
                { FromGroup = "spares", ToGroup = "pickers", ToAssignment = "picker 12", Actor = "op", Reason = "swap swap-1: cracked", SwapId = "swap-1" } }),
            Change(5, "dev-broken", new SiteChange { DeviceReassigned = new()
                { FromGroup = "pickers", ToGroup = "pickers", FromAssignment = "picker 12", ToAssignment = "", Actor = "op", Reason = "swap swap-1: cracked", SwapId = "swap-1" } }),
        };

        // Act: delivered, then delivered again
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);

        // Assert
        var devices = (await store.Fleet.ListDevicesAsync(Tenant, site)).ToDictionary(d => d.DeviceId, StringComparer.Ordinal);
        Assert.Equal(("pickers", "picker 12"), (devices["dev-spare"].Group, devices["dev-spare"].Assignment));
        Assert.Equal(("pickers", (string?)null), (devices["dev-broken"].Group, devices["dev-broken"].Assignment));
        Assert.Equal(await CleanDigestAsync(log), await store.Digest.StateDigestAsync());
    }
}
