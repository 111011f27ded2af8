using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Cloud.Tests;

/// <summary>The console's rollouts page on the real hub: the REST report drawn per site, devices offline after 10 minutes.</summary>
public sealed class ConsoleRolloutTests() : HubPerTest("--rollout-offline-after", "00:10:00")
{
    [Fact]
    public async Task Each_site_shows_its_progress_waves_and_what_its_held_wave_waits_for_and_a_silent_device_is_a_straggler()
    {
        // Arrange: scanner 100 → 120 in one wave; Lyon: one installed, one pending, one silent; Leipzig: one installed
        var lyon = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Lyon")).SiteId;
        var leipzig = (await Hub.Store.Sites.AddSiteAsync(TenantIds.Default, "DC Leipzig")).SiteId;
        await StartRolloutAsync();
        var now = DateTimeOffset.UtcNow;
        await Hub.Store.Upstream.ApplyUpstreamAsync(lyon, [
            .. RolloutDevices.Reporting(1, "installed", 120, now.AddMinutes(-1)),
            .. RolloutDevices.Reporting(3, "pending", 100, now.AddMinutes(-2)),
            .. RolloutDevices.Reporting(5, "silent", 100, now.AddMinutes(-20)),
        ], now);
        await Hub.Store.Upstream.ApplyUpstreamAsync(leipzig, [.. RolloutDevices.Reporting(1, "leip-1", 120, now)], now);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var html = await ConsoleSession.PageAsync(browser, "/rollouts");
        var lyonOnly = await ConsoleSession.PageAsync(browser, $"/rollouts?site={lyon}&package=com.acme.scan");
        using var otherPackage = await browser.GetAsync("/rollouts?package=com.acme.nothing");

        // Assert
        Assert.Contains($"data-site=\"{lyon}\" data-installed=\"1\" data-devices=\"3\"", html, StringComparison.Ordinal);
        Assert.Contains($"data-site=\"{leipzig}\" data-installed=\"1\" data-devices=\"1\"", html, StringComparison.Ordinal);
        Assert.Contains("<progress id=\"total-", html, StringComparison.Ordinal);
        Assert.Contains("max=\"4\" value=\"2\"", html, StringComparison.Ordinal);
        Assert.Contains("2/4 (50 %)", html, StringComparison.Ordinal);
        Assert.Contains("data-waiting=\"waiting for 1 of 2 devices to settle", html, StringComparison.Ordinal);
        Assert.Contains($"data-device=\"silent\" data-site=\"{lyon}\"", html, StringComparison.Ordinal);
        Assert.DoesNotContain($"data-site=\"{leipzig}\"", lyonOnly, StringComparison.Ordinal);
        Assert.Contains($"data-site=\"{lyon}\" data-installed=\"1\" data-devices=\"3\"", lyonOnly, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, otherPackage.StatusCode);
        Assert.Contains("id=\"no-rollouts\"", await otherPackage.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Another_tenant_s_rollouts_and_sites_are_not_shown()
    {
        // Arrange: Globex rolls out; ana of the default tenant looks
        var globex = (await Hub.Store.Tenants.AddTenantAsync("Globex")).TenantId;
        var theirs = (await Hub.Store.Sites.AddSiteAsync(globex, "Globex DC")).SiteId;
        await StartRolloutAsync(globex);
        using var browser = await ConsoleSession.SignedInAsync(Hub);

        // Act
        var mine = await ConsoleSession.PageAsync(browser, "/rollouts");
        using var theirSite = await browser.GetAsync($"/rollouts?site={theirs}");

        // Assert
        Assert.Contains("id=\"no-rollouts\"", mine, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.NotFound, theirSite.StatusCode);
    }

    private async Task StartRolloutAsync(string tenant = TenantIds.Default)
    {
        var plan = RolloutPlan.Default with { Waves = [new PercentageWave(100)] };
        await Hub.Store.Blueprints.UpsertBlueprintAsync(tenant, Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 100, "1.0.0")] });
        await Hub.Store.Blueprints.UpsertBlueprintAsync(tenant, Blueprint.Empty("pickers") with
        {
            Apps = [new RequiredApp("com.acme.scan", 120, "1.2.0") { Rollout = new AppRollout(plan) }],
        });
    }
}
