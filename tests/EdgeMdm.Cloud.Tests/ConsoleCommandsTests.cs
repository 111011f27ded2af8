using EdgeMdm.Cloud.Fleet;
using static EdgeMdm.Cloud.Tests.ConsoleFleet;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The console's list of recent commands across sites (<c>/commands</c>), from commands queued and answered for real.</summary>
public sealed class ConsoleCommandsTests : HubPerTest
{
    [Fact]
    public async Task Recent_commands_are_listed_newest_first_with_their_result_and_filtered_by_site_and_status()
    {
        // Arrange: a ring at Lyon that failed, then a lock at Nantes still queued, then a reboot at Lyon delivered
        var (lyon, lyonSync) = await Hub.AddSiteAsync("DC Lyon");
        var (nantes, _) = await Hub.AddSiteAsync("DC Nantes");
        var none = new Dictionary<string, string>(StringComparer.Ordinal);
        var ring = await Hub.Store.Commands.QueueCommandAsync(TenantIds.Default, lyon.SiteId, "dev-1", "ring", none, null, "admin", "where is it");
        await Task.Delay(5);
        var lockB = await Hub.Store.Commands.QueueCommandAsync(TenantIds.Default, nantes.SiteId, "dev-9", "lock", none, null, "admin", "lost");
        await Task.Delay(5);
        var reboot = await Hub.Store.Commands.QueueCommandAsync(TenantIds.Default, lyon.SiteId, "dev-1", "reboot", none, null, "console:default:ana", "stuck");
        await lyonSync.PushAsync([[Result(1, "dev-1", ring, CommandStatuses.Failed, "no speaker on this model"), Result(2, "dev-1", reboot, CommandStatuses.Delivered, "")]]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var all = await ConsoleSession.PageAsync(browser, "/commands");
        var atLyon = await ConsoleSession.PageAsync(browser, $"/commands?site={lyon.SiteId}");
        var failed = await ConsoleSession.PageAsync(browser, "/commands?status=failed");
        var ofDevice = await ConsoleSession.PageAsync(browser, $"/commands?site={lyon.SiteId}&device=dev-1&status=delivered");
        var badStatus = await browser.AnswerAsync("/commands?status=exploded");
        var noSite = await browser.AnswerAsync("/commands?site=no-such-site");

        // Assert
        Assert.Equal([reboot, lockB, ring], Data(all, "command"));
        Assert.Equal([CommandStatuses.Delivered, CommandStatuses.Queued, CommandStatuses.Failed], Data(all, "status"));
        Assert.Contains("showing 3 of 3 commands", all, StringComparison.Ordinal);
        Assert.Contains("no speaker on this model", all, StringComparison.Ordinal);
        Assert.Contains($"href=\"/devices/{nantes.SiteId}/dev-9\"", all, StringComparison.Ordinal);
        Assert.Equal([reboot, ring], Data(atLyon, "command"));
        Assert.Equal([ring], Data(failed, "command"));
        Assert.Equal([reboot], Data(ofDevice, "command"));
        Assert.Equal(HttpStatusCode.BadRequest, badStatus.Status);
        Assert.Contains("There is no command status &#x27;exploded&#x27;", badStatus.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, noSite.Status);
    }

    [Fact]
    public async Task The_list_shows_the_latest_200_and_says_how_many_there_are_and_another_tenants_commands_are_not_shown()
    {
        // Arrange: 205 commands at our site; one at Acme's
        var (site, _) = await Hub.AddSiteAsync("DC Lyon");
        var acme = (await Hub.Store.Tenants.AddTenantAsync("Acme")).TenantId;
        var theirs = (await Hub.Store.Sites.AddSiteAsync(acme, "Acme DC")).SiteId;
        var targets = Enumerable.Range(1, 205).Select(i => new CommandTarget(site.SiteId, $"dev-{i}")).ToList();
        await Hub.Store.Commands.QueueCommandsAsync(TenantIds.Default, targets, "lock", new Dictionary<string, string>(StringComparer.Ordinal), null, "admin", "inventory");
        var theirCommand = await Hub.Store.Commands.QueueCommandAsync(acme, theirs, "dev-x", "wipe", new Dictionary<string, string>(StringComparer.Ordinal), null, "acme-admin");
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var page = await ConsoleSession.PageAsync(browser, "/commands");
        var theirSite = await browser.AnswerAsync($"/commands?site={theirs}");

        // Assert
        Assert.Equal(200, Data(page, "command").Count);
        Assert.Contains("showing 200 of 205 commands", page, StringComparison.Ordinal);
        Assert.DoesNotContain(theirCommand, page, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, theirSite.Status);
    }
}
