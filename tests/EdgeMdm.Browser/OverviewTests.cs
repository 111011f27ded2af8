namespace EdgeMdm.Browser;

/// <summary>The overview at the appliance's root with a simulated fleet checking in: live, and drawn from real data.</summary>
[Collection(BrowserTests.Name)]
public sealed class OverviewTests(BrowserFixture browser)
{
    private const int Devices = 5;

    [SkippableFact]
    public async Task Devices_checking_in_show_on_the_open_overview_without_a_reload_and_its_charts_agree_with_the_cli()
    {
        // Arrange: the overview open, signed in, following the floor; no device yet
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var page = session.Page;
        await SupervisorSite.SignInAsync(page, appliance, SupervisorSite.BreakGlassUser, await SupervisorSite.BreakGlassPasswordAsync(data.Path));
        await Assertions.Expect(page.Locator("body")).ToHaveAttributeAsync("data-live", "connected");
        await Assertions.Expect(page.Locator("[data-figure=devices] .num")).ToHaveTextAsync("0");
        await page.EvaluateAsync("() => { window.sameDocument = true; }");
        await Accessibility.AssertNoSeriousViolationsAsync(session);

        // Act: a simulated fleet enrolls and checks in every second
        using var simulation = Simulation.Start(appliance, Processes.SeedToken, Devices, "12s");

        // Assert: the figures change on the page as it stands (the same document: no reload)
        await Assertions.Expect(page.Locator("[data-figure=devices] .num")).ToHaveTextAsync(Devices.ToString(CultureInfo.InvariantCulture), new() { Timeout = 30_000 });
        Assert.True(await page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page was reloaded, not updated in place");
        await session.ScreenshotAsync("live");
        await Simulation.FinishAsync(simulation, TimeSpan.FromSeconds(60));

        // ...and once the fleet is quiet, the charts' figures are the CLI's
        await page.ReloadAsync();
        var listed = await Processes.RunAsync(Processes.EdgeDll, ["devices", "list", "--json", "--data-dir", data.Path], TimeSpan.FromSeconds(60));
        Assert.True(listed.ExitCode == 0, listed.Stderr);
        using var devices = JsonDocument.Parse(listed.Stdout);
        var active = devices.RootElement.EnumerateArray().Count(d => string.Equals(d.GetProperty("state").GetString(), "Active", StringComparison.Ordinal));
        Assert.Equal(Devices, devices.RootElement.GetArrayLength());
        await Assertions.Expect(ChartValue(page, "states", "Active")).ToHaveTextAsync(active.ToString(CultureInfo.InvariantCulture));
        foreach (var (label, low, high) in new[] { ("0–19 %", 0, 19), ("20–49 %", 20, 49), ("50–79 %", 50, 79), ("80–100 %", 80, 100) })
        {
            var inBand = devices.RootElement.EnumerateArray().Count(d => d.TryGetProperty("batteryLevel", out var level) && level.GetInt32() >= low && level.GetInt32() <= high);
            await Assertions.Expect(ChartValue(page, "charge", label)).ToHaveTextAsync(inBand.ToString(CultureInfo.InvariantCulture));
        }

        await Accessibility.AssertNoSeriousViolationsAsync(session);
    }

    /// <summary>The number a bar of a server-drawn chart shows beside it.</summary>
    private static ILocator ChartValue(IPage page, string chart, string label) =>
        page.Locator($"svg[data-chart='{chart}'] g.bar[data-label='{label}'] text.value");
}
