namespace EdgeMdm.Browser;

/// <summary>
/// A session ends in the browser when the appliance says so, not when the person chooses: the absolute timeout however
/// active they are, and central IT removing the user or changing their role. The page then lands on the sign-in page,
/// which says the session ended; the live page's own updates get 401.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class SessionEndTests(BrowserFixture browser)
{
    private const string SamPassword = "sam-password-for-the-browser-test";
    private const string RitaPassword = "rita-password-for-the-browser-test";

    /// <summary>The shortest idle timeout the options allow; the absolute one a few seconds longer (both on the real clock).</summary>
    private static readonly TimeSpan Idle = TimeSpan.FromSeconds(10);

    private static readonly TimeSpan Absolute = TimeSpan.FromSeconds(16);

    [SkippableFact]
    public async Task An_idle_session_ends_at_the_idle_timeout_with_its_live_page_open_and_a_busy_one_at_the_absolute_timeout_each_page_then_saying_so()
    {
        // Arrange: two people signed in, each with the overview open and following the floor
        await using var idle = await browser.OpenAsync(this);
        await using var busy = await browser.OpenAsync(this, name: nameof(An_idle_session_ends_at_the_idle_timeout_with_its_live_page_open_and_a_busy_one_at_the_absolute_timeout_each_page_then_saying_so) + ".busy");
        using var data = new TempDirectory();
        await using var appliance = await browser.StartApplianceAsync(data.Path, extraArgs:
            ["--Edge:Web:IdleTimeout", Idle.ToString("c", CultureInfo.InvariantCulture), "--Edge:Web:AbsoluteTimeout", Absolute.ToString("c", CultureInfo.InvariantCulture)]);
        var password = await SupervisorSite.BreakGlassPasswordAsync(data.Path);
        await SupervisorSite.SignInAsync(idle.Page, appliance, SupervisorSite.BreakGlassUser, password);
        await Assertions.Expect(idle.Page.Locator("body")).ToHaveAttributeAsync("data-live", "connected");
        await SupervisorSite.SignInAsync(busy.Page, appliance, SupervisorSite.BreakGlassUser, password);
        // Started after the busy sign-in was answered: that session is a little older than this says.
        var age = Stopwatch.StartNew();

        // Act 1: one person leaves the page open; the other works, the overview again every 3 s, past the idle timeout
        var lastWork = await WorkAsync(busy.Page, appliance, age);

        Assert.True(age.Elapsed < Absolute - TimeSpan.FromSeconds(1), $"{age.Elapsed.TotalSeconds:F1} s went by: too near the absolute timeout to tell the two apart");
        await Assertions.Expect(busy.Page.Locator("body")).ToHaveAttributeAsync("data-live", "connected");
        await busy.Page.EvaluateAsync("() => { window.sameDocument = true; }");

        // Act 2: past the absolute timeout, something changes on the floor (a device enrolls): the busy one's open page
        // fetches itself again, as it does for every change
        var liveRefused = busy.Page.WaitForResponseAsync(
            r => r.Request.Headers.ContainsKey("x-edgemdm-live") && r.Status == 401, new PageWaitForResponseOptions { Timeout = 60_000 });
        var pastAbsolute = Absolute + TimeSpan.FromSeconds(1) - age.Elapsed;
        if (pastAbsolute > TimeSpan.Zero)
            await Task.Delay(pastAbsolute);
        using (var device = appliance.CreateClient())
            await Enrollments.WhenAcceptedAsync(device, Processes.SeedToken, "SN-WHILE-AWAY");
        await liveRefused;

        // Assert 1: refused before the idle timeout of its last renewal could have ended it (so by the absolute one),
        // and the page went by itself to the sign-in page, which says why; a page asked for by hand goes there too
        Assert.True(age.Elapsed < lastWork + Idle, $"refused {age.Elapsed.TotalSeconds:F1} s after the sign-in, the last work at {lastWork.TotalSeconds:F1} s: the idle timeout may have ended it");
        await Assertions.Expect(busy.Page).ToHaveURLAsync(SupervisorSite.SignInUrl);
        Assert.False(await busy.Page.EvaluateAsync<bool>("() => window.sameDocument === true"), "the page stayed as it was");
        await Assertions.Expect(busy.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your session ended");
        await busy.Page.GotoAsync(appliance.Url + "devices");
        await Assertions.Expect(busy.Page).ToHaveURLAsync(SupervisorSite.SignInUrl);

        // Assert 2: the idle one's page went to the sign-in page by itself: its live stream, open all along, is not the
        // person's activity; it ended with the session, and the page reloads when it cannot reconnect
        await Assertions.Expect(idle.Page).ToHaveURLAsync(SupervisorSite.SignInUrl, new PageAssertionsToHaveURLOptions { Timeout = 30_000 });
        await Assertions.Expect(idle.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your session ended");
        await idle.ScreenshotAsync("ended");
        await Accessibility.AssertNoSeriousViolationsAsync(idle);
    }

    /// <summary>
    /// The overview again at 3, 6, 9 and 12 s on <paramref name="age"/> (each renews the session: more than a quarter of
    /// the idle timeout went by since the last), each still signed in; returns when the last one was asked for.
    /// </summary>
    private static async Task<TimeSpan> WorkAsync(IPage page, ApplianceProcess appliance, Stopwatch age)
    {
        var lastWork = TimeSpan.Zero;
        for (var at = TimeSpan.FromSeconds(3); at <= TimeSpan.FromSeconds(12); at += TimeSpan.FromSeconds(3))
        {
            var wait = at - age.Elapsed;
            Assert.True(wait > TimeSpan.Zero, $"the page of {lastWork.TotalSeconds:F1} s took until {age.Elapsed.TotalSeconds:F1} s");
            await Task.Delay(wait);
            lastWork = age.Elapsed;
            await page.GotoAsync(appliance.Url.ToString());
            Assert.False(SupervisorSite.SignInUrl.IsMatch(page.Url), $"signed out after {age.Elapsed.TotalSeconds:F1} s of work (idle timeout {Idle.TotalSeconds} s)");
        }

        return lastWork;
    }

    [SkippableFact]
    public async Task A_user_removed_at_the_hub_and_one_whose_role_changed_are_sent_to_sign_in_at_their_next_page_and_the_new_role_then_applies()
    {
        // Arrange: two technicians of the site, each signed in in a browser of their own, on a device-free floor page
        await using var sam = await browser.OpenAsync(this);
        await using var rita = await browser.OpenAsync(this, name: nameof(A_user_removed_at_the_hub_and_one_whose_role_changed_are_sent_to_sign_in_at_their_next_page_and_the_new_role_then_applies) + ".rita");
        using var data = new TempDirectory();
        await using var hub = await HubProcess.StartAsync(Path.Combine(data.Path, "hub"));
        var (siteId, credential) = await hub.AddSiteAsync("DC Session End");
        await HubSiteUsers.SaveAsync(hub, siteId, "sam", "technician", SamPassword);
        await HubSiteUsers.SaveAsync(hub, siteId, "rita", "technician", RitaPassword);
        var edge = Path.Combine(data.Path, "edge");
        await using var appliance = await browser.StartApplianceAsync(edge, hub: (hub.GrpcUrl, credential));
        await HubSiteUsers.WaitUntilAsync(edge, users => users.Count == 2, "sam and rita");
        foreach (var (person, name, password) in new[] { (sam, "sam", SamPassword), (rita, "rita", RitaPassword) })
        {
            await SupervisorSite.SignInAsync(person.Page, appliance, name, password);
            await person.Page.GotoAsync(appliance.Url + "floor");
            await Assertions.Expect(person.Page.Locator("header .who")).ToContainTextAsync("technician");
        }

        // Act: central IT removes sam and makes rita a viewer; the change reaches the site with its feed
        await HubSiteUsers.RemoveAsync(hub, siteId, "sam");
        await HubSiteUsers.SaveAsync(hub, siteId, "rita", "viewer", RitaPassword);
        await HubSiteUsers.WaitUntilAsync(
            edge, users => !users.ContainsKey("sam") && users.GetValueOrDefault("rita") is "viewer", "sam removed, rita a viewer");

        // Assert: the next page each asks for is the sign-in page, saying the session ended
        foreach (var person in new[] { sam, rita })
        {
            try
            {
                await person.Page.ReloadAsync();
            }
            catch (PlaywrightException exception) when (exception.Message.Contains("ERR_ABORTED", StringComparison.Ordinal))
            {
                // The live page got its 401 first and reloaded itself (live.js): that navigation cut ours short.
            }

            await Assertions.Expect(person.Page).ToHaveURLAsync(SupervisorSite.SignInUrl);
            await Assertions.Expect(person.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("Your session ended");
        }

        await Accessibility.AssertNoSeriousViolationsAsync(sam);
        await sam.ScreenshotAsync("removed");
        // ...sam's password no longer opens anything; rita signs in again, now as a viewer
        await SupervisorSite.SubmitSignInAsync(sam.Page, appliance, "sam", SamPassword);
        await Assertions.Expect(sam.Page.GetByRole(AriaRole.Alert)).ToContainTextAsync("Wrong user name or password");
        await SupervisorSite.SubmitSignInAsync(rita.Page, appliance, "rita", RitaPassword);
        await Assertions.Expect(rita.Page).ToHaveURLAsync(appliance.Url + "floor", new PageAssertionsToHaveURLOptions { Timeout = 60_000 });
        await Assertions.Expect(rita.Page.Locator("header .who")).ToContainTextAsync("viewer");
        await Accessibility.AssertNoSeriousViolationsAsync(rita);
    }
}
