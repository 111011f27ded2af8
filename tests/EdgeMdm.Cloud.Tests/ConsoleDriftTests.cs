using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The console's drift page on the real hub: app versions across sites against the blueprints, findings per site.</summary>
public sealed class ConsoleDriftTests : HubPerTest
{
    [Fact]
    public async Task Versions_no_blueprint_requires_are_stale_and_each_site_counts_its_findings_by_item_and_severity()
    {
        // Arrange: pickers want scanner 120; Lyon runs 120 on one device and 100 on two, Leipzig 100 on one
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 120, "1.2")] });
        var lyon = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;
        var leipzig = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig")).SiteId;
        await Hub.Store.Upstream.ApplyUpstreamAsync(lyon,
        [
            .. ConsoleFleet.Reporting(1, "lyon-1", now, 120, compliant: true),
            .. ConsoleFleet.Reporting(3, "lyon-2", now, 100, compliant: false, ("app:com.acme.scan", "Major"), ("os.patch", "Critical")),
            .. ConsoleFleet.Reporting(5, "lyon-3", now, 100, compliant: false, ("app:com.acme.scan", "Major")),
        ], now);
        await Hub.Store.Upstream.ApplyUpstreamAsync(leipzig, [.. ConsoleFleet.Reporting(1, "leip-1", now, 100, compliant: false, ("app:com.acme.scan", "Major"))], now);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var html = await ConsoleSession.PageAsync(browser, "/drift");
        var lyonOnly = await ConsoleSession.PageAsync(browser, $"/drift?site={lyon}");

        // Assert: 120 required on one device; 100 stale on three (two at Lyon, one at Leipzig)
        Assert.Contains("data-version=\"120\" data-status=\"required\" data-devices=\"1\"", html, StringComparison.Ordinal);
        Assert.Contains("data-version=\"100\" data-status=\"stale\" data-devices=\"3\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-site-count=\"{lyon}\" data-devices=\"2\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-site-count=\"{leipzig}\" data-devices=\"1\"", html, StringComparison.Ordinal);
        Assert.Contains("<span class=\"num\" id=\"tile-stale-versions\">3</span>", html, StringComparison.Ordinal);
        Assert.Contains("data-item=\"app:com.acme.scan\" data-severity=\"Major\" data-devices=\"2\"", ConsoleFleet.Section(html, "data-site=\"" + lyon + "\""), StringComparison.Ordinal);
        Assert.Contains("data-item=\"os.patch\" data-severity=\"Critical\" data-devices=\"1\"", ConsoleFleet.Section(html, "data-site=\"" + lyon + "\""), StringComparison.Ordinal);
        Assert.Contains("data-item=\"app:com.acme.scan\" data-severity=\"Major\" data-devices=\"1\"", ConsoleFleet.Section(html, "data-site=\"" + leipzig + "\""), StringComparison.Ordinal);
        Assert.Contains("data-chart=\"app-com-acme-scan\"", html, StringComparison.Ordinal);
        Assert.Contains("data-label=\"1.2\" data-value=\"1\"", html, StringComparison.Ordinal);
        Assert.Contains("data-version=\"100\" data-status=\"stale\" data-devices=\"2\"", lyonOnly, StringComparison.Ordinal);
        Assert.DoesNotContain("data-site=\"" + leipzig + "\"", lyonOnly, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rollout_s_from_version_is_required_while_it_is_staged_and_a_required_version_nobody_runs_is_listed()
    {
        // Arrange: pickers move 100 → 120 (a rollout); packers want the label printer nobody reported yet
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 100, "1.0")] });
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("pickers") with
        {
            Apps = [new RequiredApp("com.acme.scan", 120, "1.2") { Rollout = new AppRollout(RolloutPlan.Default) }],
        });
        await Hub.Store.Blueprints.UpsertBlueprintAsync(TenantIds.Default, Blueprint.Empty("packers") with { Apps = [new RequiredApp("com.acme.label", 7, "0.7")] });
        var site = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Upstream.ApplyUpstreamAsync(site, [.. ConsoleFleet.Reporting(1, "lyon-1", now, 100, compliant: true)], now);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var html = await ConsoleSession.PageAsync(browser, "/drift");

        // Assert
        Assert.Contains("data-version=\"100\" data-status=\"required\" data-devices=\"1\"", html, StringComparison.Ordinal);
        Assert.Contains("data-version=\"120\" data-status=\"required\" data-devices=\"0\"", html, StringComparison.Ordinal);
        Assert.Contains("data-app=\"com.acme.label\"", html, StringComparison.Ordinal);
        Assert.Contains("data-version=\"7\" data-status=\"required\" data-devices=\"0\"", html, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenant_s_site_is_not_found_and_its_devices_are_not_counted()
    {
        // Arrange: Globex has a site with a device; ana of the default tenant looks
        var globex = (await Hub.Store.Tenants.AddTenantAsync("Globex")).TenantId;
        var theirs = (await Hub.Store.Sites.AddSiteAsync(globex, "Globex DC")).SiteId;
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Upstream.ApplyUpstreamAsync(theirs, [.. ConsoleFleet.Reporting(1, "g-1", now, 100, compliant: false, ("app:com.acme.scan", "Major"))], now);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        using var other = await browser.GetAsync($"/drift?site={theirs}");
        var mine = await ConsoleSession.PageAsync(browser, "/drift");

        // Assert
        Assert.Equal(HttpStatusCode.NotFound, other.StatusCode);
        Assert.Contains("id=\"not-found\"", await other.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Contains("id=\"no-apps\"", mine, StringComparison.Ordinal);
        Assert.DoesNotContain(theirs, mine, StringComparison.Ordinal);
    }
}
