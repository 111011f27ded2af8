namespace EdgeMdm.Browser;

/// <summary>A staging batch's printable QR sheet (<c>staging batch create</c> writes it), in Chromium.</summary>
[Collection(BrowserTests.Name)]
public sealed class StagingSheetTests(BrowserFixture browser)
{
    [SkippableFact]
    public async Task The_qr_sheet_shows_one_label_per_device_and_passes_axe()
    {
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var created = await Processes.RunAsync(Processes.EdgeDll,
            ["staging", "batch", "create", "--group", "pickers", "--count", "4", "--url", appliance.Url.ToString(), "--data-dir", data.Path], TimeSpan.FromSeconds(60));
        Assert.True(created.ExitCode == 0, created.Stderr);

        // The appliance writes the sheet beside its data; it has no page serving it yet, so it is opened as the file.
        await session.Page.GotoAsync(new Uri(created.Stdout.Trim()).AbsoluteUri);

        await Assertions.Expect(session.Page.Locator("section.label svg")).ToHaveCountAsync(4);
        await Accessibility.AssertNoSeriousViolationsAsync(session);
    }
}
