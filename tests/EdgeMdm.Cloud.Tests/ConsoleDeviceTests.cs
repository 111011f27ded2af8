using System.Globalization;
using EdgeMdm.Cloud.Fleet;
using EdgeMdm.Domain.Blueprints;
using static EdgeMdm.Cloud.Tests.ConsoleFleet;

namespace EdgeMdm.Cloud.Tests;

/// <summary>
/// The console's device search across sites, a device's page, and sending it a command from there: on the real hub,
/// with devices reported as sites report them, read back through the pages, the store and the REST API.
/// </summary>
public sealed class ConsoleDeviceTests : HubPerTest
{
    [Fact]
    public async Task The_device_search_finds_devices_across_sites_by_part_of_a_serial_site_group_state_and_compliance()
    {
        // Arrange: at Lyon a compliant picker and a packer that never reported; at Nantes a non-compliant picker
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 120, "1.2")] });
        var lyon = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;
        var nantes = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Nantes")).SiteId;
        await Hub.Store.Upstream.ApplyUpstreamAsync(lyon,
        [
            Enrolled(1, "dev-a1", now.AddDays(-1), "LYO-0001"), Status(2, "dev-a1", now.AddMinutes(-3), FullStatus.Replace("100", "120", StringComparison.Ordinal), compliant: true),
            Enrolled(3, "dev-a2", now.AddMinutes(-2), "LYO-0002", group: "packers"), Moved(4, "dev-a2", now, "", "Staging", "device", "plan started"),
        ], now);
        await Hub.Store.Upstream.ApplyUpstreamAsync(nantes, [Enrolled(1, "dev-b1", now.AddDays(-1), "NTE-0001"), Status(2, "dev-b1", now.AddMinutes(-1), FullStatus, compliant: false)], now);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var all = await ConsoleSession.PageAsync(browser, "/devices");
        var bySerialPart = await ConsoleSession.PageAsync(browser, "/devices?q=lyo-000");
        var byDeviceIdPart = await ConsoleSession.PageAsync(browser, "/devices?q=b1");
        var atNantes = await ConsoleSession.PageAsync(browser, $"/devices?site={nantes}");
        var packers = await ConsoleSession.PageAsync(browser, "/devices?group=packers&state=Staging");
        var nonCompliant = await ConsoleSession.PageAsync(browser, "/devices?compliance=non-compliant");
        var unknown = await ConsoleSession.PageAsync(browser, "/devices?compliance=unknown");
        var noSite = await browser.AnswerAsync("/devices?site=no-such-site");

        // Assert: every site's devices, with what the REST list says of them
        Assert.Equal(["dev-a1", "dev-a2", "dev-b1"], Data(all, "device"));
        Assert.Equal(["compliant", "unknown", "non-compliant"], Data(all, "compliance"));
        Assert.Equal(["120", "", "100"], Data(all, "key-app"));
        Assert.Contains("showing 3 of 3 devices", all, StringComparison.Ordinal);
        Assert.Contains("com.acme.scan 1.0 (100), wants 1.2 (120)", all, StringComparison.Ordinal);
        Assert.Contains("<td>C1/3</td>", all, StringComparison.Ordinal);
        Assert.Contains("<td>64 %</td>", all, StringComparison.Ordinal);
        Assert.Contains($"href=\"/devices/{lyon}/dev-a1\"", all, StringComparison.Ordinal);
        Assert.Equal(["dev-a1", "dev-a2"], Data(bySerialPart, "device"));
        Assert.Equal(["dev-b1"], Data(byDeviceIdPart, "device"));
        Assert.Equal(["dev-b1"], Data(atNantes, "device"));
        Assert.Contains($"<option value=\"{nantes}\" selected", atNantes, StringComparison.Ordinal);
        Assert.Equal(["dev-a2"], Data(packers, "device"));
        Assert.Equal(["dev-b1"], Data(nonCompliant, "device"));
        Assert.Equal(["dev-a2"], Data(unknown, "device"));
        Assert.Equal(HttpStatusCode.NotFound, noSite.Status);
        Assert.Contains("no site &#x27;no-such-site&#x27;", noSite.Html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_device_list_shows_the_first_500_and_says_how_many_there_are()
    {
        // Arrange: 503 devices at one site
        var now = DateTimeOffset.UtcNow;
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Big")).SiteId;
        await Hub.Store.Upstream.ApplyUpstreamAsync(site, Enumerable.Range(1, 503).Select(i => Enrolled((ulong)i, $"dev-{i:D4}", now)).ToList(), now);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var page = await ConsoleSession.PageAsync(browser, "/devices");
        var narrowed = await ConsoleSession.PageAsync(browser, "/devices?q=dev-050");

        // Assert
        Assert.Equal(500, Data(page, "device").Count);
        Assert.Equal(["500"], Data(page, "shown"));
        Assert.Equal(["503"], Data(page, "total"));
        Assert.Contains("showing 500 of 503 devices", page, StringComparison.Ordinal);
        Assert.Equal(["dev-0500", "dev-0501", "dev-0502", "dev-0503"], Data(narrowed, "device"));
    }

    [Fact]
    public async Task A_device_page_shows_what_it_reports_its_findings_lifecycle_commands_and_custody()
    {
        // Arrange: the custody log's device dev-0 (serial SN-0), reporting everything, with a finding, moved twice, one command answered
        var now = DateTimeOffset.UtcNow;
        var (site, sync) = await Hub.AddSiteAsync("DC Lyon");
        var log = HubStoreConformance.CustodyLog(hops: 2);
        var next = (ulong)log.Count + 1;
        log.Add(Status(next, "dev-0", now.AddMinutes(-4), FullStatus, compliant: false, new DriftFinding { Item = "app:com.acme.scan", Expected = "1.2 (120)", Actual = "1.0 (100)", Severity = "Major" }));
        log.Add(Moved(next + 1, "dev-0", now.AddHours(-2), "Enrolling", "Active", "operator:ann", "staged"));
        log.Add(Moved(next + 2, "dev-0", now.AddHours(-1), "Active", "Quarantined", "supervisor:sam", "dropped in the freezer"));
        await sync.PushAsync([log]);
        var ring = await Hub.Store.Commands.QueueCommandAsync(TenantIds.Default, site.SiteId, "dev-0", "ring", new Dictionary<string, string>(StringComparer.Ordinal), null, "admin", "where is it");
        await sync.PushAsync([[Result(next + 3, "dev-0", ring, CommandStatuses.Succeeded, "rang for 10 s")]]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var page = await ConsoleSession.PageAsync(browser, $"/devices/{site.SiteId}/dev-0");

        // Assert: the facts as the CLI prints them, then each list
        Assert.Equal(("Quarantined", "non-compliant (1 findings)", "C1/3"), (Fact(page, "state"), Fact(page, "compliance"), Fact(page, "dock")));
        Assert.Equal("13, security patch 2026-10-05", Fact(page, "os"));
        Assert.StartsWith("64 %", Fact(page, "battery"), StringComparison.Ordinal);
        Assert.Contains("charging", Fact(page, "battery"), StringComparison.Ordinal);
        Assert.Contains("warehouse", Fact(page, "wifi"), StringComparison.Ordinal);
        Assert.NotEqual("not reported", Fact(page, "storage"));
        Assert.Equal(["com.acme.scan", "com.android.chrome"], Data(page, "app"));
        Assert.Contains("120.0 (5)", page, StringComparison.Ordinal);
        Assert.Equal(["app:com.acme.scan"], Data(page, "finding"));
        Assert.Equal([ring], Data(page, "command"));
        Assert.Equal([CommandStatuses.Succeeded], Data(page, "status"));
        Assert.Contains("rang for 10 s", page, StringComparison.Ordinal);
        Assert.Contains("dropped in the freezer", page, StringComparison.Ordinal);
        Assert.Contains("supervisor:sam", page, StringComparison.Ordinal);
        Assert.Equal([(next + 2).ToString(CultureInfo.InvariantCulture), (next + 1).ToString(CultureInfo.InvariantCulture)], Data(page, "transition"));
        Assert.Equal(["1", "0"], Data(page, "custody"));
        Assert.Equal(["verified"], Data(page, "verdict"));
    }

    [Fact]
    public async Task Sending_a_command_from_the_device_page_queues_it_as_the_rest_api_does_and_the_page_shows_it_queued()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Lyon");
        await sync.PushAsync([[Enrolled(1, "dev-1", DateTimeOffset.UtcNow)]]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);
        var page = $"/devices/{site.SiteId}/dev-1";

        // Act
        using var sent = await browser.PostFormAsync(page, page + "/commands",
            [new("type", "clear-app-data"), new("reason", "scanner app stuck"), new("packageName", "com.acme.scan"), new("step", "not for this type"), new("expiresInSeconds", "3600")]);
        var commandId = (await CommandsAsync(Hub)).Commands.Single().CommandId;
        var shown = await ConsoleSession.PageAsync(browser, sent.Headers.Location!.OriginalString);
        var overRest = (await Hub.Rest.GetFromJsonAsync<JsonNode>($"/api/v1/commands/{commandId}"))!;
        var fed = (await sync.PullAsync(0)).SelectMany(batch => batch.Changes).Single(c => c.ChangeCase == HubChange.ChangeOneofCase.CommandQueued).CommandQueued;

        // Assert: redirected to the page, which shows it queued; the hub holds and feeds it as a REST send
        Assert.Equal(HttpStatusCode.Redirect, sent.StatusCode);
        Assert.StartsWith($"{page}?sent={commandId}", sent.Headers.Location!.OriginalString, StringComparison.Ordinal);
        Assert.Equal([commandId], Data(shown, "command").Distinct());
        Assert.Contains("Command clear-app-data queued", shown, StringComparison.Ordinal);
        Assert.Equal(("clear-app-data", "queued", "console:default:ana", "scanner app stuck"),
            (overRest["type"]!.GetValue<string>(), overRest["status"]!.GetValue<string>(), overRest["createdBy"]!.GetValue<string>(), overRest["reason"]!.GetValue<string>()));
        Assert.NotNull(overRest["expiresAt"]);
        Assert.Equal(("dev-1", "com.acme.scan", 1), (fed.DeviceId, fed.Parameters["packageName"], fed.Parameters.Count));
        var logged = Assert.Single(Hub.Logs.Entries, e => e.EventId.Id == 2310);
        Assert.Equal($"Console: console:default:ana sent clear-app-data to device dev-1 at site {site.SiteId} (command {commandId}): scanner app stuck", logged.Message);
    }

    [Fact]
    public async Task A_bad_command_is_answered_with_the_page_and_its_error_and_nothing_is_queued()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Lyon");
        await sync.PushAsync([[Enrolled(1, "dev-1", DateTimeOffset.UtcNow)]]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);
        var page = $"/devices/{site.SiteId}/dev-1";

        // Act
        using var noReason = await browser.PostFormAsync(page, page + "/commands", [new("type", "lock"), new("reason", "  ")]);
        using var unknownType = await browser.PostFormAsync(page, page + "/commands", [new("type", "self-destruct"), new("reason", "testing")]);
        using var noPackage = await browser.PostFormAsync(page, page + "/commands", [new("type", "clear-app-data"), new("reason", "stuck")]);
        using var badExpiry = await browser.PostFormAsync(page, page + "/commands", [new("type", "lock"), new("reason", "lost"), new("expiresInSeconds", "99999999999")]);
        using var otherOrigin = await browser.PostFormAsync(page, page + "/commands", [new("type", "lock"), new("reason", "lost")],
            request => request.Headers.Add("Origin", "https://evil.example"));
        using var restNoPackage = await Hub.Rest.PostAsJsonAsync("/api/v1/commands", new { deviceId = "dev-1", type = "clear-app-data" });

        // Assert: each refused with the page, its values kept and the reason said; nothing queued, nothing fed
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noReason.StatusCode);
        Assert.Contains("give a reason", await noReason.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, unknownType.StatusCode);
        Assert.Contains("the device agent does not know the command type &#x27;self-destruct&#x27;; known types: clear-app-data, lock,", await unknownType.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, noPackage.StatusCode);
        var noPackageHtml = await noPackage.Content.ReadAsStringAsync();
        Assert.Contains("parameters.packageName is required for clear-app-data", noPackageHtml, StringComparison.Ordinal);
        Assert.Contains("value=\"stuck\"", noPackageHtml, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.UnprocessableEntity, badExpiry.StatusCode);
        Assert.Contains("expiresInSeconds must be between 1 and", await badExpiry.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Forbidden, otherOrigin.StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, restNoPackage.StatusCode);
        Assert.Contains("parameters.packageName", await restNoPackage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, (await CommandsAsync(Hub)).Total);
        Assert.DoesNotContain((await sync.PullAsync(0)).SelectMany(batch => batch.Changes), c => c.ChangeCase == HubChange.ChangeOneofCase.CommandQueued);
        Assert.Equal(4, Hub.Logs.Entries.Count(e => e.EventId.Id == 2311));
    }

    [Fact]
    public async Task Another_tenants_device_and_an_unknown_one_are_not_found_and_cannot_be_sent_a_command()
    {
        // Arrange: a device at a site of Acme; the person signs in to the default tenant
        var now = DateTimeOffset.UtcNow;
        var acme = (await Hub.Store.Tenants.AddTenantAsync("Acme")).TenantId;
        var theirs = (await Hub.Store.Sites.AddSiteAsync(acme, "Acme DC")).SiteId;
        await Hub.Store.Upstream.ApplyUpstreamAsync(theirs, [Enrolled(1, "dev-x", now, "ACME-1")], now);
        var ours = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;
        using var browser = await ConsoleSession.SignedInAsync(Hub);
        using var acmeBrowser = await ConsoleSession.SignedInAsync(Hub, "wile", acme);

        // Act
        var theirDevice = await browser.AnswerAsync($"/devices/{theirs}/dev-x");
        var unknownDevice = await browser.AnswerAsync($"/devices/{ours}/dev-404");
        var search = await ConsoleSession.PageAsync(browser, "/devices?q=ACME");
        var theirSite = await browser.AnswerAsync($"/devices?site={theirs}");
        // The form is taken from a page Acme's person may see; the default tenant's person posts it
        using var sent = await browser.PostFormAsync("/devices", $"/devices/{theirs}/dev-x/commands", [new("type", "wipe"), new("reason", "mine now")]);
        var forAcme = await ConsoleSession.PageAsync(acmeBrowser, $"/devices/{theirs}/dev-x");

        // Assert
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound, HttpStatusCode.NotFound), (theirDevice.Status, unknownDevice.Status, theirSite.Status));
        Assert.Contains("id=\"not-found\"", theirDevice.Html, StringComparison.Ordinal);
        Assert.Empty(Data(search, "device"));
        Assert.Equal(HttpStatusCode.NotFound, sent.StatusCode);
        Assert.Equal(0, (await Hub.Store.Commands.ListCommandsAsync(acme, new CommandQuery())).Total);
        Assert.Contains("ACME-1", forAcme, StringComparison.Ordinal);
    }
}
