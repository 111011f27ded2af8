namespace EdgeMdm.Browser;

/// <summary>
/// A swap started on a device's page, and "pick a spare" on the floor page, light the spare's cradle slot: drawn lit on
/// the page, stored lit (the operator API's <c>/api/v1/cradles</c>), and sent as an LED command to the networked cradle itself, a real MQTT
/// client (<c>simulate-cradle</c>) logged in to the appliance's broker.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class SwapTests(BrowserFixture browser)
{
    private const string Cradle = "bay-1";
    private static readonly TimeSpan CliTimeout = TimeSpan.FromSeconds(60);

    [SkippableFact]
    public async Task A_swap_started_on_the_device_page_lights_the_best_spares_slot_on_the_floor_page_and_on_the_networked_cradle_and_a_pick_lights_another()
    {
        // Arrange: a networked cradle of 4 slots holding two charged, compliant spares of the TC52 pool (95 % in slot 2,
        // 85 % in slot 3), and a TC52 on the floor
        await using var session = await browser.OpenAsync(this);
        using var data = new TempDirectory();
        var mqttPort = ApplianceProcess.FreePort();
        await using var appliance = await browser.StartApplianceAsync(data.Path, extraArgs:
            ["--mqtt-listen", "127.0.0.1:" + mqttPort, "--Edge:Cradles:Networked:0:Id", Cradle, "--Edge:Cradles:Networked:0:Slots", "4"]);
        using var added = JsonDocument.Parse(await CliAsync(data.Path, "mqtt-clients", "add", Cradle, "--role", "cradle", "--json"));
        // The cradle holds the devices that say they sit in it, and prints every LED command it is sent.
        await using var cradle = CradleProcess.Start(
            ["simulate-cradle", "--cradle", Cradle, "--secret", Text(added.RootElement, "secret"), "--broker", $"mqtts://127.0.0.1:{mqttPort}",
                "--slots", "4", "--interval", "1s", "--duration", "120s", "--follow-devices", "--data-dir", data.Path]);
        var page = session.Page;
        await Task.WhenAll(
            StockTheFloorAsync(appliance, data.Path),
            SupervisorSite.SignInAsync(page, appliance, SupervisorSite.BreakGlassUser, await SupervisorSite.BreakGlassPasswordAsync(data.Path)));
        // Its rounds print each slot as N:CONTENT CHARGE% ("2:d95%": a device at 95 %).
        await cradle.WaitForLineAsync(" 2:d");
        await cradle.WaitForLineAsync(" 3:d");

        // Act 1: the supervisor finds the broken device and swaps it, with a reason
        await page.GotoAsync(appliance.Url + "devices?q=SN-BROKEN");
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "SN-BROKEN", Exact = true }).ClickAsync();
        await page.GetByLabel("Reason").FillAsync("cracked screen");
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Swap for a spare" }).ClickAsync();

        // Assert 1: the page names the fullest spare and its lit slot; the cradle was told to light it; the swap waits for its confirmation
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"take spare SN-SPARE-A from {Cradle} slot 2 (its light is on)");
        await session.ScreenshotAsync("swap");
        await Accessibility.AssertNoSeriousViolationsAsync(session);
        await cradle.WaitForLineAsync($"edgemdm/cradles/{Cradle}/slots/2/led: LED on");
        await page.GetByRole(AriaRole.Link, new PageGetByRoleOptions { Name = "Cradles & spares" }).ClickAsync();
        await Assertions.Expect(Slot(page, 2)).ToHaveAttributeAsync("data-lit", "on");
        await Assertions.Expect(Slot(page, 2).Locator("circle.led")).ToHaveCountAsync(1);
        await Assertions.Expect(Slot(page, 3)).ToHaveAttributeAsync("data-lit", "off");
        await Assertions.Expect(page.Locator($"figure[data-cradle='{Cradle}'] svg")).ToHaveAttributeAsync("aria-label", new System.Text.RegularExpressions.Regex("slot 2 SN-SPARE-A [0-9]+ % lit", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1)));
        await session.ScreenshotAsync("floor-swap");
        await Accessibility.AssertNoSeriousViolationsAsync(session);
        using (var swaps = await OperatorApiAsync(appliance, data.Path, "/api/v1/swaps"))
        {
            var swap = Assert.Single(swaps.RootElement.EnumerateArray());
            Assert.Equal(("Proposed", "SN-BROKEN", "SN-SPARE-A", "cracked screen"), (Text(swap, "state"), Text(swap, "deviceSerial"), Text(swap, "proposedSerial"), Text(swap, "reason")));
            Assert.Contains(SupervisorSite.BreakGlassUser, Text(swap, "createdBy"), StringComparison.Ordinal);
        }

        // Act 2: on the floor page, "pick" the other spare
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Pick SN-SPARE-B" }).ClickAsync();

        // Assert 2: its slot lit too, on the page, on the cradle, and as the appliance stores it
        await Assertions.Expect(page.GetByRole(AriaRole.Status)).ToContainTextAsync($"SN-SPARE-B: {Cradle} slot 3 is lit");
        await Assertions.Expect(Slot(page, 3)).ToHaveAttributeAsync("data-lit", "on");
        await cradle.WaitForLineAsync($"edgemdm/cradles/{Cradle}/slots/3/led: LED on");
        await session.ScreenshotAsync("floor-pick");
        await Accessibility.AssertNoSeriousViolationsAsync(session);
        var lit = await LitSlotsAsync(appliance, data.Path);
        Assert.Equal([("SN-SPARE-A", 2), ("SN-SPARE-B", 3)], lit);
    }

    /// <summary>Enrolls the broken device and the two spares (docked in slots 2 and 3), and makes the TC52 pool of both.</summary>
    private static async Task StockTheFloorAsync(ApplianceProcess appliance, string dataDir)
    {
        using (var devices = appliance.CreateClient())
        {
            await FloorDevices.EnrollCompliantAsync(devices, "SN-BROKEN", 60);
            await FloorDevices.EnrollCompliantAsync(devices, "SN-SPARE-A", 95, new DockLocation { CradleId = Cradle, Slot = 2 });
            await FloorDevices.EnrollCompliantAsync(devices, "SN-SPARE-B", 85, new DockLocation { CradleId = Cradle, Slot = 3 });
        }

        await CliAsync(dataDir, "spares", "pool", "set", "TC52", "--min", "1");
        await CliAsync(dataDir, "spares", "add", "SN-SPARE-A");
        await CliAsync(dataDir, "spares", "add", "SN-SPARE-B");
    }

    /// <summary>The cradle's lit slots, what each holds, as the appliance's operator API answers (<c>GET /api/v1/cradles</c>).</summary>
    private static async Task<List<(string? Serial, int Slot)>> LitSlotsAsync(ApplianceProcess appliance, string dataDir)
    {
        using var cradles = await OperatorApiAsync(appliance, dataDir, "/api/v1/cradles");
        return [.. cradles.RootElement.EnumerateArray().Single(c => string.Equals(Text(c, "cradleId"), Cradle, StringComparison.Ordinal))
            .GetProperty("slots").EnumerateArray()
            .Where(s => s.GetProperty("ledOn").GetBoolean())
            .Select(s => (s.TryGetProperty("serial", out var serial) ? serial.GetString() : null, s.GetProperty("slot").GetInt32()))];
    }

    /// <summary>GETs <paramref name="path"/> as an operator command on the appliance's machine does: with the local operator token.</summary>
    private static async Task<JsonDocument> OperatorApiAsync(ApplianceProcess appliance, string dataDir, string path)
    {
        using var http = appliance.CreateClient();
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", (await File.ReadAllTextAsync(Path.Combine(dataDir, "operator.token"))).Trim());
        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{path}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body);
    }

    private static ILocator Slot(IPage page, int slot) =>
        page.Locator($"figure[data-cradle='{Cradle}'] g.slot[data-slot='{slot.ToString(CultureInfo.InvariantCulture)}']");

    private static string Text(JsonElement element, string property) => element.GetProperty(property).GetString() ?? "";

    private static async Task<string> CliAsync(string dataDir, params string[] args)
    {
        var result = await Processes.RunAsync(Processes.EdgeDll, [.. args, "--data-dir", dataDir], CliTimeout);
        Assert.True(result.ExitCode == 0, $"{string.Join(' ', args)}: exit {result.ExitCode}\n{result.Stdout}\n{result.Stderr}");
        return result.Stdout;
    }
}
