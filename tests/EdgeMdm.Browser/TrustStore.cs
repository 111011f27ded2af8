namespace EdgeMdm.Browser;

/// <summary>
/// The site CA the browser trusts, as a supervisor's PC that was given the site's CA file does: a throwaway home
/// directory whose NSS database (<c>~/.pki/nssdb</c>, where Chromium on Linux reads the certificate authorities a user
/// added) holds the authority, made with Debian's <c>certutil</c>. The browser is started with that directory as its
/// <c>HOME</c>, so the machine's own trust is never touched and certificate errors stay errors
/// (<c>IgnoreHTTPSErrors</c> is off).
/// </summary>
/// <remarks>
/// Every appliance a browser test starts serves a certificate issued by one site CA made once per test run
/// (<see cref="SiteAuthority"/>): its files are copied into each appliance's fresh data directory before it starts, as a
/// restored appliance finds them, so one browser trusts every appliance of the run.
/// </remarks>
internal static class TrustStore
{
    public const string CertutilPath = "/usr/bin/certutil";

    /// <summary>Makes <c><paramref name="home"/>/.pki/nssdb</c> trusting <paramref name="authorityPem"/> to identify web servers.</summary>
    public static async Task CreateAsync(string home, string authorityPem)
    {
        var database = Path.Combine(home, ".pki", "nssdb");
        Directory.CreateDirectory(database);
        await CertutilAsync(["-N", "-d", "sql:" + database, "--empty-password"]);
        await CertutilAsync(["-A", "-d", "sql:" + database, "-n", "EdgeMdm test site CA", "-t", "C,,", "-i", authorityPem]);
    }

    private static async Task CertutilAsync(IEnumerable<string> args)
    {
        var result = await Processes.RunProgramAsync(CertutilPath, args, TimeSpan.FromSeconds(30));
        if (result.ExitCode != 0)
            throw new InvalidOperationException($"certutil {string.Join(' ', args)} exited {result.ExitCode}: {result.Stderr.Trim()}");
    }
}
