namespace EdgeMdm.Browser;

/// <summary>
/// The supervisor's page of an appliance, as a person uses it: its address, the break-glass administrator the appliance
/// made at its first start (<c>DATA/break-glass-admin.txt</c>), and signing in through the form.
/// </summary>
internal static class SupervisorSite
{
    public const string BreakGlassUser = "breakglass";

    /// <summary>Any address of the sign-in page (with or without a return path).</summary>
    public static System.Text.RegularExpressions.Regex SignInUrl { get; } =
        new("/signin(?:[?#]|$)", System.Text.RegularExpressions.RegexOptions.None, TimeSpan.FromSeconds(1));

    /// <summary>The administrator's password, read from the file the appliance writes at its first start (waited for, 30 s at most).</summary>
    public static async Task<string> BreakGlassPasswordAsync(string dataDir)
    {
        var file = Path.Combine(dataDir, "break-glass-admin.txt");
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!File.Exists(file))
        {
            Assert.True(DateTime.UtcNow < deadline, $"{file} was not written within 30 s");
            await Task.Delay(100);
        }

        var line = (await File.ReadAllLinesAsync(file)).Single(l => l.StartsWith("password:", StringComparison.Ordinal));
        return line["password:".Length..].Trim();
    }

    /// <summary>Opens <c>/signin</c> and sends the form as a person does: types the name and password, presses the button.</summary>
    public static async Task SubmitSignInAsync(IPage page, ApplianceProcess appliance, string userName, string password)
    {
        ArgumentNullException.ThrowIfNull(page);
        ArgumentNullException.ThrowIfNull(appliance);
        if (!page.Url.StartsWith(appliance.Url + "signin", StringComparison.Ordinal))
            await page.GotoAsync(appliance.Url + "signin");
        await page.GetByLabel("User name", new PageGetByLabelOptions { Exact = true }).FillAsync(userName);
        await page.GetByLabel("Password", new PageGetByLabelOptions { Exact = true }).FillAsync(password);
        await page.GetByRole(AriaRole.Button, new PageGetByRoleOptions { Name = "Sign in" }).ClickAsync();
        // The password check is 600,000 PBKDF2 iterations: on a loaded two-core runner, with the end-to-end tests
        // beside these, the answer once took longer than the 15 s every other wait is given.
        await page.WaitForLoadStateAsync(LoadState.DOMContentLoaded, new PageWaitForLoadStateOptions { Timeout = 60_000 });
    }

    /// <summary>Signs in and waits for the overview at the root.</summary>
    public static async Task SignInAsync(IPage page, ApplianceProcess appliance, string userName, string password)
    {
        await SubmitSignInAsync(page, appliance, userName, password);
        await Assertions.Expect(page).ToHaveURLAsync(appliance.Url.ToString(), new PageAssertionsToHaveURLOptions { Timeout = 60_000 });
        await Assertions.Expect(page.GetByRole(AriaRole.Heading, new PageGetByRoleOptions { Name = "Site overview" })).ToBeVisibleAsync();
    }
}
