using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cloud.Tests;

/// <summary>One site's console page on the real hub: sync state, site users, staging progress, and a batch token issued from it.</summary>
public sealed class ConsoleSiteTests : HubPerTest
{
    [Fact]
    public async Task The_site_page_shows_its_sync_users_and_staging_and_the_sites_page_links_to_it()
    {
        // Arrange: a site that synced, with a supervisor and a device half way through its staging plan
        var (site, sync) = await Hub.AddSiteAsync("DC Leipzig");
        await Hub.Store.SiteUsers.UpsertSiteUserAsync(TenantIds.Default, site.SiteId, "maria", "supervisor", "hash");
        SiteChange Step(ulong sequence, string step, string state) => new()
        {
            Sequence = sequence, DeviceId = "dev-1", AtUnixMs = 1_700_000_000_000 + (long)sequence,
            StagingStepReported = new() { Plan = "scanner-standard", PlanHash = "abc", StepId = step, Kind = step, State = state, Attempts = 1, StartedUnixMs = 1_700_000_000_000 },
        };
        await sync.PushAsync([[Step(1, "enroll", "succeeded"), Step(2, "wifi", "failed")]]);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var sites = await ConsoleSession.PageAsync(browser, "/");
        var html = await ConsoleSession.PageAsync(browser, $"/sites/{site.SiteId}");

        // Assert
        Assert.Contains($"href=\"/sites/{site.SiteId}\"", sites, StringComparison.Ordinal);
        Assert.Contains($"href=\"/devices?site={site.SiteId}\"", sites, StringComparison.Ordinal);
        Assert.Contains("id=\"sync\"", html, StringComparison.Ordinal);
        Assert.Contains("data-user=\"maria\" data-role=\"supervisor\"", html, StringComparison.Ordinal);
        Assert.Contains("data-step=\"enroll\" data-state=\"succeeded\"", html, StringComparison.Ordinal);
        Assert.Contains("data-step=\"wifi\" data-state=\"failed\"", html, StringComparison.Ordinal);
        Assert.Contains("data-chart=\"staging-steps\"", html, StringComparison.Ordinal);
        Assert.Contains("id=\"batch-token\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_token_is_shown_once_and_fed_to_the_site_as_the_api_issues_it()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Lyon");
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers"));
        using var browser = await ConsoleSession.SignedInAsync(Hub);
        var page = $"/sites/{site.SiteId}";

        // Act
        using var issued = await browser.PostFormAsync(page, page + "/tokens", [new("group", "pickers"), new("uses", "25"), new("expiresInSeconds", "28800")]);
        var html = await issued.Content.ReadAsStringAsync();
        var again = await ConsoleSession.PageAsync(browser, page);
        var fed = (await sync.PullAsync(0)).SelectMany(b => b.Changes).Where(c => c.ChangeCase == HubChange.ChangeOneofCase.TokenIssued).ToList();

        // Assert
        Assert.Equal(HttpStatusCode.Created, issued.StatusCode);
        var token = System.Text.RegularExpressions.Regex.Match(html, "data-token=\"(?<t>[^\"]+)\"", System.Text.RegularExpressions.RegexOptions.ExplicitCapture, TimeSpan.FromSeconds(1)).Groups["t"].Value;
        Assert.Equal(64, token.Length);
        Assert.DoesNotContain(token, again, StringComparison.Ordinal);
        var change = Assert.Single(fed).TokenIssued;
        Assert.Equal((CanonicalHash.Sha256Hex(token), "pickers", 25U), (change.TokenHash, change.Group, change.Uses));
        Assert.Contains(Hub.Logs.Entries, e => e.EventId.Id == 2332 && !e.Message.Contains(token, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_bad_batch_token_request_is_answered_422_naming_the_field_and_nothing_is_issued()
    {
        // Arrange
        var (site, sync) = await Hub.AddSiteAsync("DC Lyon");
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers"));
        using var browser = await ConsoleSession.SignedInAsync(Hub);
        var page = $"/sites/{site.SiteId}";

        // Act
        using var noUses = await browser.PostFormAsync(page, page + "/tokens", [new("group", "pickers"), new("uses", "0"), new("expiresInSeconds", "3600")]);
        using var notANumber = await browser.PostFormAsync(page, page + "/tokens", [new("group", "pickers"), new("uses", "lots"), new("expiresInSeconds", "3600")]);
        using var noBlueprint = await browser.PostFormAsync(page, page + "/tokens", [new("group", "drivers"), new("uses", "5"), new("expiresInSeconds", "3600")]);
        var fed = (await sync.PullAsync(0)).SelectMany(b => b.Changes).Count(c => c.ChangeCase == HubChange.ChangeOneofCase.TokenIssued);

        // Assert
        Assert.Equal(
            [HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity, HttpStatusCode.UnprocessableEntity],
            new[] { noUses.StatusCode, notANumber.StatusCode, noBlueprint.StatusCode });
        Assert.Contains("data-field=\"uses\"", await noUses.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("data-field=\"uses\"", await notANumber.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("data-field=\"group\"", await noBlueprint.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal(0, fed);
    }

    [Fact]
    public async Task Another_tenant_s_site_is_not_found_and_no_token_is_issued_for_it()
    {
        // Arrange: Globex has a site and a group with a blueprint
        var globex = (await Hub.Store.Tenants.AddTenantAsync("Globex")).TenantId;
        var theirs = (await Hub.Store.Sites.AddSiteAsync(globex, "Globex DC")).SiteId;
        await Hub.Store.Blueprints.UpsertBlueprintAsync(globex, Blueprint.Empty("pickers"));
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers"));
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        using var page = await browser.GetAsync($"/sites/{theirs}");
        using var issue = await browser.PostFormAsync("/", $"/sites/{theirs}/tokens", [new("group", "pickers"), new("uses", "5"), new("expiresInSeconds", "3600")]);

        // Assert
        Assert.Equal((HttpStatusCode.NotFound, HttpStatusCode.NotFound), (page.StatusCode, issue.StatusCode));
        Assert.DoesNotContain(Hub.Logs.Entries, e => e.EventId.Id == 2332);
    }
}
