namespace EdgeMdm.Browser;

/// <summary>
/// One test's browser context (its own cookies, storage and cache) and page. Disposing takes the page's last picture,
/// <c>artifacts/browser/Class.Test.png</c>: after a failure that is what the page showed when the test gave up.
/// </summary>
internal sealed class BrowserSession : IAsyncDisposable
{
    private readonly List<string> _consoleErrors = [];

    private BrowserSession(IBrowserContext context, IPage page, string name)
    {
        Context = context;
        Page = page;
        Name = name;
        page.Console += (_, message) =>
        {
            if (string.Equals(message.Type, "error", StringComparison.Ordinal))
            {
                lock (_consoleErrors)
                    _consoleErrors.Add(message.Text);
            }
        };
    }

    public IPage Page { get; }

    /// <summary>The test's own context: its cookies, storage and pages.</summary>
    public IBrowserContext Context { get; }

    /// <summary><c>Class.Test</c>: the screenshots' file name.</summary>
    public string Name { get; }

    /// <summary>What the page logged as errors so far (blocked scripts, failed requests, thrown exceptions).</summary>
    public IReadOnlyList<string> ConsoleErrors
    {
        get
        {
            lock (_consoleErrors)
                return [.. _consoleErrors];
        }
    }

    public static async Task<BrowserSession> OpenAsync(IBrowser browser, string name, float deviceScaleFactor = 1)
    {
        var context = await browser.NewContextAsync(new BrowserNewContextOptions
        {
            // Certificate errors stay errors: the appliance's site CA is trusted through the browser's NSS database.
            IgnoreHTTPSErrors = false,
            // A 10-inch tablet in landscape.
            ViewportSize = new ViewportSize { Width = 1280, Height = 800 },
            DeviceScaleFactor = deviceScaleFactor,
            Locale = "en-GB",
            TimezoneId = "UTC",
        });
        context.SetDefaultTimeout((float)BrowserFixture.Patience.TotalMilliseconds);
        context.SetDefaultNavigationTimeout((float)BrowserFixture.Patience.TotalMilliseconds);
        return new BrowserSession(context, await context.NewPageAsync(), name);
    }

    /// <summary>Saves the whole page as <c>artifacts/browser/Class.Test.STEP.png</c> and returns the file's path.</summary>
    public async Task<string> ScreenshotAsync(string step)
    {
        var path = Artifacts.Screenshot(Name + "." + step);
        await Page.ScreenshotAsync(new PageScreenshotOptions { Path = path, FullPage = true });
        return path;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Page.ScreenshotAsync(new PageScreenshotOptions { Path = Artifacts.Screenshot(Name), FullPage = true, Timeout = 5_000 });
        }
        catch (PlaywrightException)
        {
            // A page that cannot be drawn any more (closed, crashed) leaves no picture; the test's own failure says why.
        }

        await Context.CloseAsync();
    }
}
