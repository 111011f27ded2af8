namespace EdgeMdm.Browser;

/// <summary>
/// Debian's Chromium, the one browser the tests drive (tests/scripts/setup.sh installs the <c>chromium</c> package):
/// Playwright is given its path and never downloads a browser of its own (no <c>playwright install</c>).
/// </summary>
internal static class Chromium
{
    public const string ExecutablePath = "/usr/bin/chromium";

    /// <summary>
    /// Headless, and quiet on the network: no QUIC, no component or safe-browsing updates, no sync, no first-run
    /// pages. Only the servers a test starts on loopback are ever asked for anything. No sandbox: the tests run as root
    /// in CI, where Chromium refuses to start sandboxed.
    /// </summary>
    public static IReadOnlyList<string> Arguments { get; } =
    [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync",
    ];

    /// <summary>Fails under CI=true and skips elsewhere when Chromium or NSS's certutil is missing.</summary>
    public static void SkipOrFailWhenMissing()
    {
        var missing = new[] { ExecutablePath, TrustStore.CertutilPath }.Where(p => !File.Exists(p)).ToList();
        if (missing.Count == 0)
            return;
        var what = string.Join(", ", missing);
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal))
            Assert.Fail($"{what} missing under CI=true (tests/scripts/setup.sh installs chromium and libnss3-tools)");
        Skip.If(true, $"{what} not installed (run tests/scripts/setup.sh as root to install chromium and libnss3-tools)");
    }
}
