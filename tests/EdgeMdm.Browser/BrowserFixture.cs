using System.Collections;
using System.Runtime.CompilerServices;

namespace EdgeMdm.Browser;

/// <summary>
/// One Chromium for every browser test (they share <see cref="BrowserTests"/> and so run one at a time: a browser
/// and the servers under test are plenty for two cores), trusting the run's site CA (<see cref="TrustStore"/>). Each test
/// opens a <see cref="BrowserSession"/>: a fresh context (its own cookies and storage) and page.
/// </summary>
public sealed class BrowserFixture : IAsyncLifetime
{
    /// <summary>How long a launch, a navigation or an action may take before the test fails: nothing waits unboundedly.</summary>
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(15);

    private readonly string _home = Path.Combine(Path.GetTempPath(), "edgemdm-browser-home-" + Guid.NewGuid().ToString("N"));
    private IPlaywright? _playwright;
    private IBrowser? _browser;

    private SiteAuthority? _authority;

    /// <summary>The site CA this browser trusts and every appliance started through <see cref="StartApplianceAsync"/> serves from.</summary>
    internal SiteAuthority Authority => _authority ?? throw new InvalidOperationException("no browser: Chromium or certutil is missing");

    public async Task InitializeAsync()
    {
        // Without Chromium or certutil nothing starts; each test then skips, or fails under CI=true (SkipOrFailWhenMissing).
        if (new[] { Chromium.ExecutablePath, TrustStore.CertutilPath }.Any(p => !File.Exists(p)))
            return;
        // Playwright's expectations retry for 5 s by default: too little for a page behind a password hash on a busy
        // two-core machine running other test assemblies beside this one.
        Assertions.SetDefaultExpectTimeout((float)Patience.TotalMilliseconds);
        _authority = SiteAuthority.Get();
        await TrustStore.CreateAsync(_home, _authority.CertificatePath);
        _playwright = await Playwright.CreateAsync();
        _browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath,
            Args = Chromium.Arguments,
            Headless = true,
            // Playwright starts Chromium on a fresh profile of its own in a temp directory (--user-data-dir), removed at close.
            Env = EnvironmentWithHome(_home),
            Timeout = (float)Patience.TotalMilliseconds,
        });
    }

    /// <summary>A fresh context and page for one test; screenshots go to <c>artifacts/browser/Class.Test*.png</c>.</summary>
    /// <param name="deviceScaleFactor">Device pixels per CSS pixel (2 for pictures a barcode reader reads).</param>
    internal async Task<BrowserSession> OpenAsync(object test, float deviceScaleFactor = 1, [CallerMemberName] string name = "")
    {
        ArgumentNullException.ThrowIfNull(test);
        Chromium.SkipOrFailWhenMissing();
        return await BrowserSession.OpenAsync(_browser!, test.GetType().Name + "." + name, deviceScaleFactor);
    }

    /// <summary>
    /// Starts an appliance (<see cref="ApplianceProcess.StartAsync"/>) on <paramref name="dataDir"/>, serving a certificate
    /// issued by the site CA this browser trusts.
    /// </summary>
    internal async Task<ApplianceProcess> StartApplianceAsync(
        string dataDir, (Uri Url, string Credential)? hub = null, bool? seed = null, IEnumerable<string>? extraArgs = null)
    {
        Chromium.SkipOrFailWhenMissing();
        _authority!.PrepareDataDirectory(dataDir);
        return await ApplianceProcess.StartAsync(dataDir, hub: hub, seed: seed, extraArgs: extraArgs);
    }

    /// <summary>
    /// A second Chromium that trusts nothing but the machine's defaults, for a test to show the trust above is what lets
    /// the pages load; the caller disposes it.
    /// </summary>
    internal async Task<IBrowser> LaunchUntrustingAsync()
    {
        Chromium.SkipOrFailWhenMissing();
        var home = Path.Combine(_home, "untrusting");
        Directory.CreateDirectory(home);
        return await _playwright!.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = Chromium.ExecutablePath,
            Args = Chromium.Arguments,
            Headless = true,
            Env = EnvironmentWithHome(home),
            Timeout = (float)Patience.TotalMilliseconds,
        });
    }

    public async Task DisposeAsync()
    {
        if (_browser is not null)
            await _browser.CloseAsync();
        _playwright?.Dispose();
        try
        {
            Directory.Delete(_home, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
            // Never made (Chromium missing).
        }
    }

    private static Dictionary<string, string> EnvironmentWithHome(string home)
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry variable in Environment.GetEnvironmentVariables())
            environment[(string)variable.Key] = (string?)variable.Value ?? "";
        environment["HOME"] = home;
        return environment;
    }
}

/// <summary>The browser tests run one at a time, on one <see cref="BrowserFixture"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class BrowserTests : ICollectionFixture<BrowserFixture>
{
    public const string Name = "browser";
}
