namespace EdgeMdm.Browser;

/// <summary>A staging batch's printable QR sheet (<c>staging batch create</c> writes it), opened from its page and printed by Chromium.</summary>
[Collection(BrowserTests.Name)]
public sealed class StagingSheetTests(BrowserFixture browser)
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task The_printed_qr_sheet_opened_from_the_batch_page_fits_a_batch_of_four_on_one_a4_page_and_every_code_reads_back_as_its_slot_payload()
    {
        // Arrange: a batch of 4 made on a running appliance; the supervisor opens its page and its printable sheet
        Skip.IfNot(File.Exists("/usr/bin/zbarimg") || IsCi(), "zbarimg not installed (run tests/scripts/setup.sh as root)");
        await using var session = await browser.OpenAsync(this, deviceScaleFactor: 2);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var created = await Processes.RunAsync(Processes.EdgeDll,
            ["staging", "batch", "create", "--group", "pickers", "--count", "4", "--url", appliance.Url.ToString(), "--data-dir", data.Path], Patience);
        Assert.True(created.ExitCode == 0, created.Stderr);
        var sheetFile = created.Stdout.Trim();
        var batchId = Path.GetFileName(Path.GetDirectoryName(sheetFile))!;
        using var payload = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(Path.GetDirectoryName(sheetFile)!, "payload.json")));
        var slots = payload.RootElement.GetProperty("slots").EnumerateArray().Select(s => s.GetString()!).ToList();
        await SupervisorSite.SignInAsync(session.Page, appliance, SupervisorSite.BreakGlassUser, await SupervisorSite.BreakGlassPasswordAsync(data.Path));
        await session.Page.GotoAsync(appliance.Url + "staging/batches/" + batchId);
        await Accessibility.AssertNoSeriousViolationsAsync(session);
        // The link opens the sheet in a tab of its own.
        var sheet = await session.Context.RunAndWaitForPageAsync(
            () => session.Page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Print the QR sheet" }).ClickAsync());
        await sheet.WaitForLoadStateAsync(LoadState.Load);
        Assert.Equal(appliance.Url + "staging/batches/" + batchId + "/sheet", sheet.Url);
        await sheet.EmulateMediaAsync(new PageEmulateMediaOptions { Media = Media.Print });

        // Act: print it (Chromium's own PDF printing, A4 as the sheet's @page asks) and read the codes off the printed look
        var pdf = await sheet.PdfAsync(new PagePdfOptions { PreferCSSPageSize = true, Path = Artifacts.File(session.Name + ".pdf") });
        var printed = Artifacts.Screenshot(session.Name + ".print");
        await sheet.ScreenshotAsync(new PageScreenshotOptions { Path = printed, FullPage = true });
        var read = await Processes.RunProgramAsync("zbarimg", ["--raw", "--quiet", "-Sdisable", "-Sqrcode.enable", printed], Patience);

        // Assert: one A4 page (595 x 842 points), four labels, and each label's code is exactly its slot's payload
        Assert.StartsWith("%PDF-", System.Text.Encoding.ASCII.GetString(pdf, 0, 5), StringComparison.Ordinal);
        Assert.Equal(1, PdfPages(pdf));
        var (width, height) = PdfPageSize(pdf);
        Assert.InRange(width, 594, 596);
        Assert.InRange(height, 841, 843);
        await Assertions.Expect(sheet.Locator("section.label svg")).ToHaveCountAsync(4);
        Assert.True(read.ExitCode == 0, $"zbarimg exited {read.ExitCode}: {read.Stderr}");
        Assert.Equal(slots.Order(StringComparer.Ordinal), read.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        await Accessibility.AssertNoSeriousViolationsAsync(sheet);
    }

    /// <summary>The pages of a PDF Chromium printed: its page objects (<c>/Type /Page</c>, not <c>/Pages</c>).</summary>
    private static int PdfPages(byte[] pdf) =>
        System.Text.RegularExpressions.Regex.Count(System.Text.Encoding.Latin1.GetString(pdf), @"/Type\s*/Page(?![s\w])", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(5));

    /// <summary>The first page's size in points (<c>/MediaBox [0 0 W H]</c>).</summary>
    private static (double Width, double Height) PdfPageSize(byte[] pdf)
    {
        var box = System.Text.RegularExpressions.Regex.Match(
            System.Text.Encoding.Latin1.GetString(pdf), @"/MediaBox\s*\[\s*0\s+0\s+(?<w>[0-9.]+)\s+(?<h>[0-9.]+)\s*\]", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(5));
        Assert.True(box.Success, "the PDF names no page size");
        return (double.Parse(box.Groups["w"].Value, CultureInfo.InvariantCulture), double.Parse(box.Groups["h"].Value, CultureInfo.InvariantCulture));
    }

    private static bool IsCi() => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal);
}
