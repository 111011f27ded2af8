using EdgeMdm.Cloud.Fleet;

namespace EdgeMdm.Cloud.Tests;

// The lists the hub's console reads (ICommandStore.ListCommandsAsync, IFleetReadStore.ListRecentTransitionsAsync): newest
// first, filtered, capped, inside the tenant, on every backend.
public abstract partial class HubStoreConformance
{
    [SkippableFact]
    public async Task Commands_are_listed_newest_first_filtered_by_site_device_and_status_capped_and_counted()
    {
        // Arrange: three commands at A (one of them answered), one at B, one at a site of another tenant
        var (store, a, b) = await StoreWithTwoSitesAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        var other = (await store.Sites.AddSiteAsync(acme, "Acme DC")).SiteId;
        var none = new Dictionary<string, string>(StringComparer.Ordinal);
        async Task<string> QueueAsync(string site, string device, string type)
        {
            Time.Advance(TimeSpan.FromMinutes(1));
            return await store.Commands.QueueCommandAsync(Tenant, site, device, type, none, null, "admin", "why " + type);
        }

        var ring = await QueueAsync(a, "dev-0", "ring");
        var lockA = await QueueAsync(a, "dev-1", "lock");
        var reboot = await QueueAsync(a, "dev-0", "reboot");
        var lockB = await QueueAsync(b, "dev-9", "lock");
        await store.Commands.QueueCommandAsync(acme, other, "dev-0", "wipe", none, null, "acme-admin");
        await store.Upstream.ApplyUpstreamAsync(a, [Change(1, "dev-0", new SiteChange { CommandResult = new() { CommandId = ring, Status = CommandStatuses.Failed, Message = "no speaker", FinishedUnixMs = 5 } })], Now);

        // Act
        var all = await store.Commands.ListCommandsAsync(Tenant, new CommandQuery());
        var firstTwo = await store.Commands.ListCommandsAsync(Tenant, new CommandQuery(Limit: 2));
        var ofDevice = await store.Commands.ListCommandsAsync(Tenant, new CommandQuery(SiteId: a, DeviceId: "dev-0"));
        var failed = await store.Commands.ListCommandsAsync(Tenant, new CommandQuery(Status: CommandStatuses.Failed));
        var atB = await store.Commands.ListCommandsAsync(Tenant, new CommandQuery(SiteId: b));
        var otherTenantsSite = await store.Commands.ListCommandsAsync(Tenant, new CommandQuery(SiteId: other));

        // Assert
        Assert.Equal([lockB, reboot, lockA, ring], all.Commands.Select(c => c.CommandId));
        Assert.Equal(4, all.Total);
        Assert.Equal([lockB, reboot], firstTwo.Commands.Select(c => c.CommandId));
        Assert.Equal(4, firstTwo.Total);
        Assert.Equal([reboot, ring], ofDevice.Commands.Select(c => c.CommandId));
        var answered = Assert.Single(failed.Commands);
        Assert.Equal((ring, "no speaker", "why ring", Now.AddMinutes(1)), (answered.CommandId, answered.Message, answered.Reason, answered.CreatedAt));
        Assert.Equal([lockB], atB.Commands.Select(c => c.CommandId));
        Assert.Equal(1, atB.Total);
        Assert.Equal((0, 0), (otherTenantsSite.Commands.Count, otherTenantsSite.Total));
        Assert.Equal(["wipe"], (await store.Commands.ListCommandsAsync(acme, new CommandQuery())).Commands.Select(c => c.Type));
    }

    [SkippableFact]
    public async Task Recent_transitions_are_listed_newest_first_across_the_tenants_sites_and_capped()
    {
        // Arrange: transitions at A and at B, interleaved in time; one at another tenant's site
        var (store, a, b) = await StoreWithTwoSitesAsync();
        var acme = (await store.Tenants.AddTenantAsync("Acme")).TenantId;
        var other = (await store.Sites.AddSiteAsync(acme, "Acme DC")).SiteId;
        SiteChange Moved(ulong sequence, string device, string to, long at)
        {
            var change = Change(sequence, device, new SiteChange { Transitioned = new() { ToState = to, Actor = "operator:ann", Reason = "to " + to } });
            change.AtUnixMs = at;
            return change;
        }

        await store.Upstream.ApplyUpstreamAsync(a, [Moved(1, "dev-0", "Enrolling", 1_000), Moved(2, "dev-0", "Active", 3_000), Moved(3, "dev-1", "Enrolling", 5_000)], Now);
        await store.Upstream.ApplyUpstreamAsync(b, [Moved(1, "dev-9", "Enrolling", 2_000), Moved(2, "dev-9", "Quarantined", 4_000)], Now);
        await store.Upstream.ApplyUpstreamAsync(other, [Moved(1, "dev-0", "Retired", 6_000)], Now);

        // Act
        var all = await store.Fleet.ListRecentTransitionsAsync(Tenant, null, 10);
        var latestTwo = await store.Fleet.ListRecentTransitionsAsync(Tenant, null, 2);
        var atB = await store.Fleet.ListRecentTransitionsAsync(Tenant, b, 10);
        var otherTenantsSite = await store.Fleet.ListRecentTransitionsAsync(Tenant, other, 10);

        // Assert
        Assert.Equal(
            [(a, "dev-1", "Enrolling"), (b, "dev-9", "Quarantined"), (a, "dev-0", "Active"), (b, "dev-9", "Enrolling"), (a, "dev-0", "Enrolling")],
            all.Select(t => (t.SiteId, t.DeviceId, t.Transition.ToState)));
        Assert.Equal(("operator:ann", "to Quarantined", DateTimeOffset.FromUnixTimeMilliseconds(4_000)), (all[1].Transition.Actor, all[1].Transition.Reason, all[1].Transition.At));
        Assert.Equal(["dev-1", "dev-9"], latestTwo.Select(t => t.DeviceId));
        Assert.Equal(["Quarantined", "Enrolling"], atB.Select(t => t.Transition.ToState));
        Assert.Empty(otherTenantsSite);
    }
}
