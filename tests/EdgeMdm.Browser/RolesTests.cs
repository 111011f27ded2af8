namespace EdgeMdm.Browser;

/// <summary>
/// Site users the hub feeds down sign in to the appliance with their role: a viewer only looks (and the appliance, not
/// only the page, refuses what a viewer tries), a technician acts on the floor, only a supervisor wipes.
/// </summary>
[Collection(BrowserTests.Name)]
public sealed class RolesTests(BrowserFixture browser)
{
    private const string ViewerPassword = "viewer-password-for-the-browser-test";
    private const string TechnicianPassword = "technician-password-for-the-browser-test";

    [SkippableFact]
    public async Task A_viewer_is_offered_no_action_and_the_appliance_refuses_the_form_posted_by_hand_while_a_technician_locks_the_device()
    {
        // Arrange: a hub with a site whose appliance syncs; a viewer and a technician made at the hub; one enrolled device
        await using var viewer = await browser.OpenAsync(this);
        await using var technician = await browser.OpenAsync(this, name: nameof(A_viewer_is_offered_no_action_and_the_appliance_refuses_the_form_posted_by_hand_while_a_technician_locks_the_device) + ".technician");
        using var data = new TempDirectory();
        await using var hub = await HubProcess.StartAsync(Path.Combine(data.Path, "hub"));
        var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync("DC Roles");
        await HubSiteUsers.SaveAsync(hub, siteId, "vera", "viewer", ViewerPassword);
        await HubSiteUsers.SaveAsync(hub, siteId, "tom", "technician", TechnicianPassword);
        var edge = Path.Combine(data.Path, "edge");
        await using var appliance = await browser.StartApplianceAsync(edge, hub: (hub.GrpcUrl, credential));
        await HubSiteUsers.WaitUntilAsync(edge, users => users.Count >= 2, "vera and tom");
        using var device = appliance.CreateClient();
        var deviceId = (await Enrollments.WhenAcceptedAsync(device, token, "SN-ROLES-1")).DeviceId;
        var devicePage = appliance.Url + "devices/" + Uri.EscapeDataString(deviceId);

        // Act 1: the viewer opens the device's page, then builds the action form by hand (with its own valid
        // anti-forgery token, taken from the sign-out form) and sends it
        await SupervisorSite.SignInAsync(viewer.Page, appliance, "vera", ViewerPassword);
        await viewer.Page.GotoAsync(devicePage);
        await Assertions.Expect(viewer.Page.GetByText("Your role looks only")).ToBeVisibleAsync();
        await Assertions.Expect(viewer.Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Lock" })).ToHaveCountAsync(0);
        await Accessibility.AssertNoSeriousViolationsAsync(viewer);
        var handMade = viewer.Page.WaitForResponseAsync(r => r.Url.EndsWith("/actions", StringComparison.Ordinal));
        await viewer.Page.EvaluateAsync(
            """
            (action) => {
              const form = document.createElement("form");
              form.method = "post";
              form.action = action;
              const token = document.querySelector("input[name='__csrf']").value;
              for (const [name, value] of [["__csrf", token], ["action", "lock"], ["reason", "by hand"]]) {
                const input = document.createElement("input");
                input.type = "hidden"; input.name = name; input.value = value;
                form.appendChild(input);
              }
              document.body.appendChild(form);
              form.submit();
            }
            """, devicePage + "/actions");
        var refused = await handMade;

        // Act 2: the technician locks it through the page, with a reason
        await SupervisorSite.SignInAsync(technician.Page, appliance, "tom", TechnicianPassword);
        await technician.Page.GotoAsync(devicePage);
        await Assertions.Expect(technician.Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Wipe" })).ToHaveCountAsync(0);
        await technician.Page.GetByLabel("Reason").FillAsync("left on the dock overnight");
        await technician.Page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Lock" }).ClickAsync();

        // Assert: the viewer's form was refused by the appliance; the one lock queued is the technician's
        Assert.Equal(403, refused.Status);
        await Assertions.Expect(technician.Page.GetByRole(AriaRole.Status)).ToContainTextAsync("lock queued");
        await Assertions.Expect(technician.Page.Locator("tr[data-command='lock']")).ToHaveCountAsync(1);
        await Accessibility.AssertNoSeriousViolationsAsync(technician);
    }
}
