namespace EdgeMdm.Browser;

/// <summary>
/// Forms sent to the appliance from another site's page while its supervisor is signed in (cross-site request
/// forgery): the browser sends them as it would for a real attack; the appliance must not act on them.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class CrossSiteTests(BrowserFixture browser)
{
    /// <summary>
    /// The other site. Its page never leaves the browser: Playwright answers its address itself (localhost, so not even
    /// a name is looked up), and only the form it sends reaches the appliance.
    /// </summary>
    private const string Elsewhere = "http://localhost:9/prize.html";

    [SkippableFact]
    public async Task A_sign_out_form_posted_from_another_site_leaves_the_supervisor_signed_in()
    {
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var page = session.Page;
        await SupervisorSite.SignInAsync(page, appliance, SupervisorSite.BreakGlassUser, await SupervisorSite.BreakGlassPasswordAsync(data.Path));
        await ServeElsewhereAsync(session, $"""<form method="post" action="{appliance.Url}signout"><input type="hidden" name="x" value="1"></form>""");

        // Act: the other site's page sends its form by itself as soon as it opens
        var sent = page.WaitForResponseAsync(r => r.Url.StartsWith(appliance.Url + "signout", StringComparison.Ordinal));
        await page.GotoAsync(Elsewhere);
        var answer = await sent;

        // Assert: not done (refused, or sent to sign in, the session cookie not being sent cross-site), and still signed in
        Assert.NotEqual(200, answer.Status);
        await page.GotoAsync(appliance.Url.ToString());
        await Assertions.Expect(page).ToHaveURLAsync(appliance.Url.ToString());
        await Assertions.Expect(page.Locator("header .who")).ToContainTextAsync(SupervisorSite.BreakGlassUser);
    }

    [SkippableFact]
    public async Task A_sign_in_form_posted_from_another_site_is_refused_before_any_password_is_checked()
    {
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path);
        var password = await SupervisorSite.BreakGlassPasswordAsync(data.Path);
        var page = session.Page;
        // The other site knows a valid account (its own, say) and would sign this browser in as it: login CSRF.
        await ServeElsewhereAsync(session,
            $"""<form method="post" action="{appliance.Url}signin"><input name="username" value="{SupervisorSite.BreakGlassUser}"><input name="password" value="{password}"></form>""");

        var sent = page.WaitForResponseAsync(r => r.Url.StartsWith(appliance.Url + "signin", StringComparison.Ordinal) && string.Equals(r.Request.Method, "POST", StringComparison.Ordinal));
        await page.GotoAsync(Elsewhere);
        var answer = await sent;

        // Refused: by the anti-forgery check (400: the other site cannot know the form's token) or the same-origin one (403).
        Assert.True(answer.Status is 400 or 403, $"answered {answer.Status}");
        Assert.DoesNotContain(await session.Context.CookiesAsync(), c => c.Name.Contains("session", StringComparison.Ordinal));
        await page.GotoAsync(appliance.Url.ToString());
        await Assertions.Expect(page).ToHaveURLAsync(SupervisorSite.SignInUrl);
    }

    /// <summary>Answers <see cref="Elsewhere"/> with a page holding <paramref name="form"/> and a script that sends it on load.</summary>
    private static async Task ServeElsewhereAsync(BrowserSession session, string form) =>
        await session.Context.RouteAsync(Elsewhere, route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"<!DOCTYPE html><html lang=\"en\"><title>You won</title><body>{form}<script>document.forms[0].submit()</script></body></html>",
        }));
}
