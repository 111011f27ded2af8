namespace EdgeMdm.Browser;

/// <summary>The harness itself: Debian's Chromium reaches a real appliance over its site TLS, takes pictures and runs axe.</summary>
[Collection(BrowserTests.Name)]
public sealed class HarnessTests(BrowserFixture browser)
{
    [SkippableFact]
    public async Task Chromium_reaches_the_appliance_over_https_with_a_certificate_the_site_ca_issued()
    {
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);

        var response = await session.Page.GotoAsync(appliance.Url + "healthz");

        Assert.NotNull(response);
        Assert.Equal(200, response.Status);
        var security = await response.SecurityDetailsAsync();
        Assert.NotNull(security);
        Assert.Equal(browser.Authority.Subject, "CN=" + security.Issuer);
    }

    [SkippableFact]
    public async Task A_chromium_not_given_the_site_ca_refuses_the_appliance()
    {
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        await using var untrusting = await browser.LaunchUntrustingAsync();
        var page = await untrusting.NewPageAsync(new BrowserNewPageOptions { IgnoreHTTPSErrors = false });

        var refused = await Assert.ThrowsAsync<PlaywrightException>(() => page.GotoAsync(appliance.Url + "healthz", new PageGotoOptions { Timeout = 15_000 }));

        Assert.Contains("ERR_CERT_AUTHORITY_INVALID", refused.Message, StringComparison.Ordinal);
    }
}
