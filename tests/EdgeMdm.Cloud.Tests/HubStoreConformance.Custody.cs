using EdgeMdm.Cloud.Custody;
using EdgeMdm.Cloud.Sync;
using EdgeMdm.Domain.Custody;
using Microsoft.Extensions.DependencyInjection;

namespace EdgeMdm.Cloud.Tests;

// Chains of custody as the upstream stores them (once each, as they came) and as verification reads them, on every
// backend; tampering with the stored rows is named.
public abstract partial class HubStoreConformance
{
    private static readonly DateTimeOffset HandedAt = new(2026, 11, 20, 9, 0, 0, TimeSpan.Zero);

    /// <summary>
    /// A site's log of custody events from <paramref name="firstSequence"/>: <paramref name="hops"/> hand-offs of each
    /// subject, device dev-0 (serial SN-0, enrolled first) and battery BAT-1, interleaved.
    /// </summary>
    internal static List<SiteChange> CustodyLog(int hops, ulong firstSequence = 1)
    {
        var log = new List<SiteChange>
        {
            Change(firstSequence, "dev-0", new SiteChange { Enrolled = new() { Serial = "SN-0", Model = "TC52", Group = "pickers" } }),
        };
        string[] parties = ["site", "courier", "depot", "courier"];
        CustodyEvent? device = null, battery = null;
        for (var i = 0; i < hops; i++)
        {
            device = CustodyChain.Next(device, new CustodyHandOff("dev-0", CustodySubjectKind.Device, parties[i % 4], parties[(i + 1) % 4], "operator:ann", Note: $"leg {i}"), HandedAt.AddHours(i));
            battery = CustodyChain.Next(battery, new CustodyHandOff("BAT-1", CustodySubjectKind.Battery, parties[i % 4], parties[(i + 1) % 4], "operator:ann"), HandedAt.AddHours(i).AddMinutes(1));
            log.Add(Change(firstSequence + (ulong)log.Count, "dev-0", new SiteChange { CustodyRecorded = Message(device) }));
            log.Add(Change(firstSequence + (ulong)log.Count, "", new SiteChange { CustodyRecorded = Message(battery) }));
        }

        return log;
    }

    internal static CustodyEventRecorded Message(CustodyEvent e) => new()
    {
        Subject = e.Subject,
        SubjectKind = e.SubjectKind == CustodySubjectKind.Device ? "device" : "battery",
        Index = (ulong)e.Index,
        FromParty = e.From,
        ToParty = e.To,
        Actor = e.Actor,
        Place = e.Place,
        Note = e.Note,
        ErasureMethod = e.ErasureMethod,
        ErasureCertificate = e.ErasureCertificate,
        PreviousHash = e.PreviousHash,
        Hash = e.Hash,
        AtUnixMs = e.At.ToUnixTimeMilliseconds(),
    };

    private static ICustodyStore Custody(HubStores store) => store.Services.GetRequiredService<ICustodyStore>();

    [SkippableFact]
    public async Task Custody_events_are_stored_once_whatever_the_replays_and_verify()
    {
        // Arrange
        var log = CustodyLog(hops: 4);
        var (store, site) = await StoreWithSiteAsync();

        // Act: the log twice, overlapping windows, then re-sent under new sequences (a site that numbered its log again)
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        foreach (var window in log.Chunk(3))
            await store.Upstream.ApplyUpstreamAsync(site, window, Now);
        await store.Upstream.ApplyUpstreamAsync(site, CustodyLog(hops: 4, firstSequence: (ulong)log.Count + 1), Now);

        // Assert
        var events = await Custody(store).EventsAsync(Tenant, site, null, null, null);
        Assert.Equal(8, events!.Count);
        Assert.Equal([0L, 1, 2, 3], events.Where(e => string.Equals(e.Subject, "dev-0", StringComparison.Ordinal)).Select(e => e.Index));
        var verdict = await Custody(store).VerifyAsync(Tenant, site, null);
        Assert.Equal((2, 8, true), (verdict!.Chains, verdict.Events, verdict.AllVerify));
    }

    [SkippableFact]
    public async Task Custody_events_are_listed_by_device_serial_and_period()
    {
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.ApplyUpstreamAsync(site, CustodyLog(hops: 3), Now);

        var bySerial = await Custody(store).EventsAsync(Tenant, site, "SN-0", null, null);
        var battery = await Custody(store).EventsAsync(Tenant, site, "BAT-1", HandedAt.AddHours(1), HandedAt.AddHours(2));
        var otherTenant = await Custody(store).EventsAsync("another-tenant", site, null, null, null);

        Assert.Equal(["dev-0", "dev-0", "dev-0"], bySerial!.Select(e => e.Subject));
        Assert.Equal((1L, "courier", "depot"), (Assert.Single(battery!).Index, battery![0].From, battery[0].To));
        Assert.Null(otherTenant);
    }

    [SkippableFact]
    public async Task Rows_edited_deleted_or_reordered_in_the_hub_database_are_named()
    {
        // Arrange: a site's chains, synced
        var (store, site) = await StoreWithSiteAsync();
        await store.Upstream.ApplyUpstreamAsync(site, CustodyLog(hops: 5), Now);
        Assert.True((await Custody(store).VerifyAsync(Tenant, site, null))!.AllVerify);

        // Act: someone with the database edits one event, removes the device's last, and swaps two of the battery's
        await using (var s = await store.Database.BeginAsync(write: true, CancellationToken.None))
        {
            await s.ExecuteAsync("UPDATE custody_events SET to_party = 'my garage' WHERE site_id = ? AND subject = 'dev-0' AND idx = 1", site);
            await s.ExecuteAsync("DELETE FROM custody_events WHERE site_id = ? AND subject = 'dev-0' AND idx = 4", site);
            await s.ExecuteAsync("UPDATE custody_events SET idx = 99 WHERE site_id = ? AND subject = 'BAT-1' AND idx = 2", site);
            await s.ExecuteAsync("UPDATE custody_events SET idx = 2 WHERE site_id = ? AND subject = 'BAT-1' AND idx = 3", site);
            await s.ExecuteAsync("UPDATE custody_events SET idx = 3 WHERE site_id = ? AND subject = 'BAT-1' AND idx = 99", site);
            await s.CommitAsync();
        }

        var verdict = await Custody(store).VerifyAsync(Tenant, site, null);

        // Assert
        Assert.False(verdict!.AllVerify);
        Assert.Equal(
            [("BAT-1", 2L, "reordered"), ("BAT-1", 3L, "reordered"), ("dev-0", 1L, "edited"), ("dev-0", 4L, "removed")],
            verdict.Problems.Select(p => (p.Subject, p.Index, p.Kind)).OrderBy(p => p.Subject, StringComparer.Ordinal).ThenBy(p => p.Index));
        Assert.Single((await Custody(store).VerifyAsync(Tenant, site, "SN-0"))!.Problems, p => string.Equals(p.Kind, "edited", StringComparison.Ordinal));
    }

    [SkippableFact]
    public async Task The_last_event_edited_with_its_hash_recomputed_shows_against_the_head_the_hub_keeps()
    {
        var (store, site) = await StoreWithSiteAsync();
        var log = CustodyLog(hops: 2);
        await store.Upstream.ApplyUpstreamAsync(site, log, Now);
        var last = (await Custody(store).EventsAsync(Tenant, site, "dev-0", null, null))![^1].ToEvent() with { To = "my garage" };

        await using (var s = await store.Database.BeginAsync(write: true, CancellationToken.None))
        {
            await s.ExecuteAsync("UPDATE custody_events SET to_party = ?, hash = ? WHERE site_id = ? AND subject = 'dev-0' AND idx = 1", last.To, CustodyChain.HashOf(last), site);
            await s.CommitAsync();
        }

        var problem = Assert.Single((await Custody(store).VerifyAsync(Tenant, site, "dev-0"))!.Problems);
        Assert.Equal(("dev-0", 1L, "edited"), (problem.Subject, problem.Index, problem.Kind));
    }

    [Fact]
    public void Custody_events_of_the_wrong_form_are_refused_at_the_sync_boundary()
    {
        var good = CustodyLog(hops: 2);
        var badHash = good[1].Clone();
        badHash.CustodyRecorded.Hash = "ABC";
        var firstWithPrevious = good[1].Clone();
        firstWithPrevious.CustodyRecorded.PreviousHash = good[3].CustodyRecorded.Hash;
        var deviceOfAnother = good[1].Clone();
        deviceOfAnother.DeviceId = "dev-9";
        var batteryWithDevice = good[2].Clone();
        batteryWithDevice.DeviceId = "dev-0";

        Assert.Null(UpstreamRules.Problem(new UpstreamBatch { Changes = { good } }));
        Assert.Contains("custody_recorded.hash is not 64 lowercase hex", UpstreamRules.Problem(new UpstreamBatch { Changes = { badHash } }), StringComparison.Ordinal);
        Assert.Contains("previous_hash must be empty", UpstreamRules.Problem(new UpstreamBatch { Changes = { firstWithPrevious } }), StringComparison.Ordinal);
        Assert.Contains("not the change's device_id", UpstreamRules.Problem(new UpstreamBatch { Changes = { deviceOfAnother } }), StringComparison.Ordinal);
        Assert.Contains("battery's custody_recorded has no device_id", UpstreamRules.Problem(new UpstreamBatch { Changes = { batteryWithDevice } }), StringComparison.Ordinal);
    }
}
