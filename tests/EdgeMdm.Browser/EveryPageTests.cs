namespace EdgeMdm.Browser;

/// <summary>
/// axe-core on every page of the supervisor's site, found as a person finds them: through the navigation every page
/// carries (a page added to it later is checked too), with a fleet enrolled so the pages show real rows and charts.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class EveryPageTests(BrowserFixture browser)
{
    [SkippableFact]
    public async Task Every_page_in_the_navigation_and_a_device_page_have_no_serious_or_critical_axe_violation()
    {
        // Arrange: an appliance with a few devices that checked in and a staging batch; the supervisor signed in
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        await Simulation.RunAsync(appliance, Processes.SeedToken, 3, "4s", TimeSpan.FromSeconds(60));
        var batch = await Processes.RunAsync(Processes.EdgeDll,
            ["staging", "batch", "create", "--group", "pickers", "--count", "2", "--url", appliance.Url.ToString(), "--data-dir", data.Path], TimeSpan.FromSeconds(60));
        Assert.True(batch.ExitCode == 0, batch.Stderr);
        var page = session.Page;
        await SupervisorSite.SignInAsync(page, appliance, SupervisorSite.BreakGlassUser, await SupervisorSite.BreakGlassPasswordAsync(data.Path));
        var pages = await page.Locator("header nav a").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
        Assert.Contains("/devices", pages);

        // Act and assert: each page answers, draws, and passes axe; then the first device's own page
        foreach (var path in pages)
        {
            var response = await page.GotoAsync(appliance.Url + path.TrimStart('/'));
            Assert.True(response is { Status: 200 }, $"{path} answered {response?.Status}");
            await session.ScreenshotAsync(path.Trim('/') is { Length: > 0 } name ? name : "overview");
            await Accessibility.AssertNoSeriousViolationsAsync(session);
        }

        await page.GotoAsync(appliance.Url + "devices");
        await page.Locator("main a[href^='/devices/']").First.ClickAsync();
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Now" })).ToBeVisibleAsync();
        await session.ScreenshotAsync("device");
        await Accessibility.AssertNoSeriousViolationsAsync(session);
    }
}
