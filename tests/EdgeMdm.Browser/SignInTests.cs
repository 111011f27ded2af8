namespace EdgeMdm.Browser;

/// <summary>Signing in to the supervisor page at the appliance's root, over its site TLS, as a person does.</summary>
[Collection(BrowserTests.Name)]
public sealed class SignInTests(BrowserFixture browser)
{
    [SkippableFact]
    public async Task The_break_glass_admin_signs_in_with_the_password_from_the_data_directory_and_gets_a_host_only_strict_session_cookie()
    {
        // Arrange
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var password = await SupervisorSite.BreakGlassPasswordAsync(data.Path);
        var page = session.Page;

        // Act: the root sends a stranger to the sign-in page, which then sends them back signed in
        await page.GotoAsync(appliance.Url.ToString());
        await Assertions.Expect(page).ToHaveURLAsync(SupervisorSite.SignInUrl);
        await Accessibility.AssertNoSeriousViolationsAsync(session);
        await session.ScreenshotAsync("signin");
        await SupervisorSite.SignInAsync(page, appliance, SupervisorSite.BreakGlassUser, password);

        // Assert: the overview, who is signed in, and a session cookie scripts cannot read nor other sites send
        await Assertions.Expect(page.Locator("header .who")).ToContainTextAsync(SupervisorSite.BreakGlassUser);
        var cookie = Assert.Single(await session.Context.CookiesAsync(), c => c.Name.StartsWith("__Host-", StringComparison.Ordinal) && c.Name.Contains("session", StringComparison.Ordinal));
        Assert.True(cookie.HttpOnly);
        Assert.True(cookie.Secure);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.Equal("/", cookie.Path);
        Assert.True(cookie.Value.Length >= 22, "a session key of at least 128 bits");
        await Accessibility.AssertNoSeriousViolationsAsync(session);
    }

    [SkippableFact]
    public async Task A_wrong_password_is_refused_on_the_page_and_sign_out_ends_the_session()
    {
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var password = await SupervisorSite.BreakGlassPasswordAsync(data.Path);
        var page = session.Page;

        // A wrong password: the form again, saying so, with the name kept
        await SupervisorSite.SubmitSignInAsync(page, appliance, SupervisorSite.BreakGlassUser, password + "x");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong user name or password");
        await Assertions.Expect(page.GetByLabel("User name", new PageGetByLabelOptions { Exact = true })).ToHaveValueAsync(SupervisorSite.BreakGlassUser);
        await Accessibility.AssertNoSeriousViolationsAsync(session);
        await session.ScreenshotAsync("refused");

        // The right one, then sign out: the root asks for a sign-in again
        await SupervisorSite.SignInAsync(page, appliance, SupervisorSite.BreakGlassUser, password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign out" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(SupervisorSite.SignInUrl);
        await page.GotoAsync(appliance.Url.ToString());
        await Assertions.Expect(page).ToHaveURLAsync(SupervisorSite.SignInUrl);
    }

    [SkippableFact]
    public async Task An_account_is_locked_after_the_configured_wrong_passwords_and_then_refuses_even_the_right_one()
    {
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path, extraArgs: ["--Edge:Web:LockoutFailures", "3"]);
        var password = await SupervisorSite.BreakGlassPasswordAsync(data.Path);
        var page = session.Page;

        for (var attempt = 1; attempt <= 2; attempt++)
        {
            await SupervisorSite.SubmitSignInAsync(page, appliance, SupervisorSite.BreakGlassUser, "wrong-" + attempt);
            await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong user name or password");
        }

        await SupervisorSite.SubmitSignInAsync(page, appliance, SupervisorSite.BreakGlassUser, "wrong-3");
        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("locked");
        await SupervisorSite.SubmitSignInAsync(page, appliance, SupervisorSite.BreakGlassUser, password);

        await Assertions.Expect(page.GetByRole(AriaRole.Alert)).ToContainTextAsync("locked");
        await Assertions.Expect(page).ToHaveURLAsync(SupervisorSite.SignInUrl);
        await Accessibility.AssertNoSeriousViolationsAsync(session);
    }
}
