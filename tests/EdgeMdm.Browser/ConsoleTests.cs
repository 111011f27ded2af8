namespace EdgeMdm.Browser;

/// <summary>
/// Central IT's console at the hub's root, in a real browser: an account signs in over the hub's plain http on
/// loopback (which Chromium counts as a secure origin, so the Secure session cookie holds), every page in the
/// console's navigation draws from a site that synced real devices and passes axe, and a command is sent from a
/// device's page.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class ConsoleTests(BrowserFixture browser)
{
    private const string Password = "central-it-password-for-the-browser-test";

    [SkippableFact]
    public async Task An_account_signs_in_and_every_console_page_draws_a_synced_site_and_passes_axe()
    {
        // Arrange: a hub with a site whose appliance synced three devices, and an offline second site
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var synced = await SyncedSite.StartAsync(browser, data.Path, "DC Console", 3, otherSites: ["DC Never Synced"]);
        var (hub, siteId) = (synced.Hub, synced.SiteId);
        var page = session.Page;

        // Act: sign in through the form, as a person does
        await SignInAsync(page, hub, "ines", Password);

        // Assert: the sites page says which site is offline and how old each site's figures are
        await Assertions.Expect(page.Locator($"tr[data-site='{siteId}']")).ToContainTextAsync("DC Console");
        await Assertions.Expect(page.Locator("tr[data-site='dc-never-synced']")).ToContainTextAsync("never synced");
        await session.ScreenshotAsync("sites");
        await Accessibility.AssertNoSeriousViolationsAsync(session);

        // And every page of the navigation answers and passes axe
        var pages = await page.Locator("header nav a").EvaluateAllAsync<string[]>("links => links.map(a => a.getAttribute('href'))");
        Assert.True(pages.Length >= 8, string.Join(", ", pages));
        foreach (var path in pages)
        {
            var response = await page.GotoAsync(hub.RestUrl + path.TrimStart('/'));
            Assert.True(response is { Status: 200 }, $"{path} answered {response?.Status}");
            await session.ScreenshotAsync(path.Trim('/') is { Length: > 0 } name ? name : "root");
            await Accessibility.AssertNoSeriousViolationsAsync(session);
        }
    }

    [SkippableFact]
    public async Task A_command_sent_from_a_devices_page_is_queued_at_the_hub_and_one_posted_from_another_site_is_not()
    {
        // Arrange: a synced device; central IT signed in
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        await using var synced = await SyncedSite.StartAsync(browser, data.Path, "DC Commands", 1, otherSites: []);
        var hub = synced.Hub;
        var page = session.Page;
        await SignInAsync(page, hub, "ines", Password);

        // Act 1: find the device, open its page, send "ring" with a reason
        await page.GotoAsync(hub.RestUrl + "devices");
        await page.Locator("main a[href^='/devices/']").First.ClickAsync();
        var devicePage = page.Url;
        await page.GetByLabel("Command", new PageGetByLabelOptions { Exact = true }).SelectOptionAsync("ring");
        await page.GetByLabel("Reason", new PageGetByLabelOptions { Exact = false }).FillAsync("cannot find it on the dock");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Send" }).ClickAsync();
        await Assertions.Expect(page.Locator("#command-sent")).ToContainTextAsync("ring");
        var commandId = await page.Locator("#command-sent").GetAttributeAsync("data-command");
        await session.ScreenshotAsync("command-sent");
        await Accessibility.AssertNoSeriousViolationsAsync(session);

        // Act 2: another site's page sends the same form by itself
        var action = await page.Locator("form#send-command").GetAttributeAsync("action") ?? throw new InvalidOperationException("the device page has no command form");
        const string elsewhere = "http://localhost:9/prize.html";
        await session.Context.RouteAsync(elsewhere, route => route.FulfillAsync(new RouteFulfillOptions
        {
            ContentType = "text/html",
            Body = $"""<!DOCTYPE html><html lang="en"><title>You won</title><body><form method="post" action="{hub.RestUrl}{action.TrimStart('/')}"><input name="type" value="wipe"><input name="reason" value="forged"></form><script>document.forms[0].submit()</script></body></html>""",
        }));
        var sent = page.WaitForResponseAsync(r => r.Url.EndsWith(action, StringComparison.Ordinal) && string.Equals(r.Request.Method, "POST", StringComparison.Ordinal));
        await page.GotoAsync(elsewhere);
        var forged = await sent;

        // Assert: the page's command is queued at the hub with its reason; the forged one was refused and queued nothing
        using var queued = await hub.Rest.GetAsync(new Uri($"/api/v1/commands/{commandId}", UriKind.Relative));
        var command = JsonNode.Parse(await queued.Content.ReadAsStringAsync())!;
        Assert.True(queued.IsSuccessStatusCode, command.ToJsonString());
        Assert.Equal("ring", command["type"]!.GetValue<string>());
        Assert.True(forged.Status is 302 or 400 or 401 or 403, $"the forged form was answered {forged.Status}");
        await page.GotoAsync(devicePage);
        await Assertions.Expect(page.Locator($"tr[data-command='{commandId}']")).ToHaveCountAsync(1);
        await Assertions.Expect(page.Locator("tr[data-command]", new PageLocatorOptions { HasText = "wipe" })).ToHaveCountAsync(0);
    }

    /// <summary>A hub with an account <c>ines</c>, a site whose appliance synced <c>devices</c> simulated devices, and other sites never synced.</summary>
    private sealed record SyncedSite(HubProcess Hub, ApplianceProcess Appliance, string SiteId) : IAsyncDisposable
    {
        public static async Task<SyncedSite> StartAsync(BrowserFixture browser, string dataDir, string siteName, int devices, IReadOnlyList<string> otherSites)
        {
            var hub = await HubProcess.StartAsync(Path.Combine(dataDir, "hub"));
            var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync(siteName);
            foreach (var other in otherSites)
                await hub.AddSiteAsync(other);
            await AddAccountAsync(hub, "ines");
            var appliance = await browser.StartApplianceAsync(Path.Combine(dataDir, "edge"), hub: (hub.GrpcUrl, credential));
            await Simulation.RunAsync(appliance, token, devices, "4s", TimeSpan.FromSeconds(60));
            await WaitForDevicesAsync(hub, devices);
            return new SyncedSite(hub, appliance, siteId);
        }

        public async ValueTask DisposeAsync()
        {
            await Appliance.DisposeAsync();
            await Hub.DisposeAsync();
        }
    }

    internal static async Task AddAccountAsync(HubProcess hub, string userName)
    {
        using var created = await hub.Rest.PostAsJsonAsync(new Uri("/api/v1/accounts", UriKind.Relative), new JsonObject { ["userName"] = userName, ["password"] = Password, ["role"] = "operator" });
        Assert.True(created.IsSuccessStatusCode, await created.Content.ReadAsStringAsync());
    }

    internal static async Task SignInAsync(IPage page, HubProcess hub, string userName, string password)
    {
        await page.GotoAsync(hub.RestUrl + "signin");
        await page.GetByLabel("User name", new PageGetByLabelOptions { Exact = true }).FillAsync(userName);
        await page.GetByLabel("Password", new PageGetByLabelOptions { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        await Assertions.Expect(page).ToHaveURLAsync(hub.RestUrl.ToString(), new PageAssertionsToHaveURLOptions { Timeout = 60_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Sites" })).ToBeVisibleAsync();
    }

    /// <summary>Waits (60 s at most) until the hub has heard of <paramref name="count"/> devices from its sites.</summary>
    private static async Task WaitForDevicesAsync(HubProcess hub, int count)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (true)
        {
            var devices = await hub.Rest.GetFromJsonAsync<JsonArray>(new Uri("/api/v1/devices", UriKind.Relative));
            if (devices!.Count >= count)
                return;
            Assert.True(DateTime.UtcNow < deadline, $"the hub has {devices.Count} of {count} devices after 60 s");
            await Task.Delay(500);
        }
    }
}
