using static EdgeMdm.Cloud.Tests.ConsoleFleet;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The console's custody and audit page (<c>/custody</c>): chains pushed over the real sync and verified as
/// <c>GET /sites/{id}/custody/verify</c> does, a chain altered in the hub's database shown loudly, the hand-offs with
/// actor, place and note, and the devices' lifecycle transitions as the audit trail.
/// </summary>
public sealed class ConsoleCustodyTests : HubPerTest
{
    [Fact]
    public async Task Every_sites_chains_are_verified_and_the_latest_hand_offs_and_transitions_are_listed()
    {
        // Arrange: Lyon's custody log (device dev-0, battery BAT-1, three hops each) and two transitions; Nantes without custody
        var (lyon, sync) = await Hub.AddSiteAsync("DC Lyon");
        var (nantes, _) = await Hub.AddSiteAsync("DC Nantes");
        var log = HubStoreConformance.CustodyLog(hops: 3);
        var next = (ulong)log.Count + 1;
        log.Add(Moved(next, "dev-0", DateTimeOffset.UtcNow.AddHours(-2), "Enrolling", "Active", "operator:ann", "staged"));
        log.Add(Moved(next + 1, "dev-0", DateTimeOffset.UtcNow.AddHours(-1), "Active", "InRepair", "supervisor:sam", "cracked screen"));
        await sync.PushAsync([log]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var page = await ConsoleSession.PageAsync(browser, "/custody");
        var ofDevice = await ConsoleSession.PageAsync(browser, $"/custody?site={lyon.SiteId}&device=SN-0");
        var atNantes = await ConsoleSession.PageAsync(browser, $"/custody?site={nantes.SiteId}");
        var verdict = JsonNode.Parse(await Hub.Rest.GetStringAsync($"/api/v1/sites/{lyon.SiteId}/custody/verify"))!;

        // Assert: both sites verified (Lyon with what the REST verdict counts), newest hand-off first, with who, where and the note
        Assert.Equal(["verified", "verified"], Data(page, "verdict"));
        Assert.Contains($"Verified: {(int)verdict["chains"]!} chains, {(int)verdict["events"]!} events", page, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"custody-broken\"", page, StringComparison.Ordinal);
        Assert.Equal(["BAT-1", "dev-0", "BAT-1", "dev-0", "BAT-1", "dev-0"], Data(page, "subject"));
        Assert.Equal(["2", "2", "1", "1", "0", "0"], Data(page, "index"));
        Assert.Contains("<td>operator:ann</td>", page, StringComparison.Ordinal);
        Assert.Contains("leg 2", page, StringComparison.Ordinal);
        Assert.Equal(["InRepair", "Active"], Data(page, "to"));
        Assert.Contains("cracked screen", page, StringComparison.Ordinal);
        Assert.Equal(["dev-0", "dev-0", "dev-0"], Data(ofDevice, "subject"));
        Assert.Equal(["InRepair", "Active"], Data(ofDevice, "to"));
        Assert.Equal(["verified"], Data(atNantes, "verdict"));
        Assert.Empty(Data(atNantes, "subject"));
        Assert.Empty(Data(atNantes, "to"));
    }

    [Fact]
    public async Task A_chain_altered_in_the_hubs_database_is_shown_broken_loudly_with_the_event_it_concerns()
    {
        // Arrange: Lyon's chains synced, then someone with the database edits one of the device's hand-offs
        var (lyon, sync) = await Hub.AddSiteAsync("DC Lyon");
        await sync.PushAsync([HubStoreConformance.CustodyLog(hops: 3)]);
        await using (var s = await Hub.Store.Database.BeginAsync(write: true, CancellationToken.None))
        {
            await s.ExecuteAsync("UPDATE custody_events SET to_party = 'my garage' WHERE site_id = ? AND subject = 'dev-0' AND idx = 1", lyon.SiteId);
            await s.CommitAsync();
        }

        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var page = await ConsoleSession.PageAsync(browser, "/custody");
        var devicePage = await ConsoleSession.PageAsync(browser, $"/devices/{lyon.SiteId}/dev-0");

        // Assert
        Assert.Contains("id=\"custody-broken\" data-broken=\"1\"", page, StringComparison.Ordinal);
        Assert.Contains("1 site has a broken chain of custody: DC Lyon", page, StringComparison.Ordinal);
        Assert.Equal(["broken"], Data(page, "verdict"));
        Assert.Equal(["edited"], Data(page, "problem"));
        Assert.Contains("class=\"bad\"", page, StringComparison.Ordinal);
        Assert.Contains("my garage", page, StringComparison.Ordinal);
        Assert.Equal(["broken"], Data(devicePage, "verdict"));
        Assert.Contains("section aria-labelledby=\"custody-h\" class=\"broken\"", devicePage, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenants_site_is_not_found_and_its_chains_are_not_shown()
    {
        // Arrange: Acme's site with custody events
        var acme = (await Hub.Store.Tenants.AddTenantAsync("Acme")).TenantId;
        var theirs = await Hub.Store.Sites.AddSiteAsync(acme, "Acme DC");
        await Hub.Sync(theirs.Credential).PushAsync([HubStoreConformance.CustodyLog(hops: 1)]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var page = await ConsoleSession.PageAsync(browser, "/custody");
        var theirSite = await browser.AnswerAsync($"/custody?site={theirs.SiteId}");

        // Assert
        Assert.Empty(Data(page, "verdict"));
        Assert.Empty(Data(page, "subject"));
        Assert.Equal(HttpStatusCode.NotFound, theirSite.Status);
    }
}
