using System.Text.RegularExpressions;

namespace EdgeMdm.EndToEnd;

/// <summary>The appliance's TLS as a program nobody here wrote sees it: Debian's <c>openssl s_client</c>.</summary>
public sealed class SiteTlsTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    [SkippableFact]
    public async Task Openssl_is_served_the_site_certificate_which_the_site_ca_file_verifies_for_the_mdns_name_and_loopback()
    {
        SkipWithoutOpenssl();
        using var data = new TempDirectory();
        await using var appliance = await ApplianceProcess.StartAsync(data.Path);
        var authority = Path.Combine(data.Path, "tls", "site-ca.pem");
        var connect = "127.0.0.1:" + appliance.Url.Port.ToString(CultureInfo.InvariantCulture);

        // Act: the name a device found by mDNS connects with, then the address a QR code may carry.
        var byName = await Processes.RunProgramAsync("openssl",
            ["s_client", "-connect", connect, "-servername", "edgemdm-dc-demo-01.local", "-CAfile", authority, "-verify_hostname", "edgemdm-dc-demo-01.local", "-verify_return_error"],
            Patience);
        var byAddress = await Processes.RunProgramAsync("openssl",
            ["s_client", "-connect", connect, "-CAfile", authority, "-verify_ip", "127.0.0.1", "-verify_return_error"], Patience);
        var served = Regex.Match(byName.Stdout, "-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", RegexOptions.Singleline, TimeSpan.FromSeconds(1)).Value;
        var servedPath = Path.Combine(data.Path, "served.pem");
        await File.WriteAllTextAsync(servedPath, served);
        var names = await Processes.RunProgramAsync("openssl", ["x509", "-in", servedPath, "-noout", "-ext", "subjectAltName"], Patience);
        var key = await Processes.RunProgramAsync("bash",
            ["-c", $"openssl x509 -in '{servedPath}' -noout -pubkey | openssl pkey -pubin -outform DER | openssl dgst -sha256 -r"], Patience);
        var wrongName = await Processes.RunProgramAsync("openssl",
            ["s_client", "-connect", connect, "-CAfile", authority, "-verify_hostname", "elsewhere.example", "-verify_return_error"], Patience);

        // Assert: the chain the appliance serves verifies against the CA file in its data directory...
        Assert.True(byName.Stdout.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), byName.Stdout + byName.Stderr);
        Assert.True(byAddress.Stdout.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), byAddress.Stdout + byAddress.Stderr);
        Assert.Matches(@"issuer=CN\s?=\s?EdgeMdm site CA [0-9a-f]{12}", byName.Stdout);
        // ...names the mDNS host, localhost and loopback...
        Assert.Contains("DNS:edgemdm-dc-demo-01.local", names.Stdout, StringComparison.Ordinal);
        Assert.Contains("DNS:localhost", names.Stdout, StringComparison.Ordinal);
        Assert.Contains("IP Address:127.0.0.1", names.Stdout, StringComparison.Ordinal);
        // ...has the key the pin names, and is refused for a name it does not carry.
        Assert.StartsWith(appliance.Pin + " ", key.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Verify return code: 0 (ok)", wrongName.Stdout, StringComparison.Ordinal);
    }

    private static void SkipWithoutOpenssl()
    {
        var missing = !File.Exists("/usr/bin/openssl");
        if (missing && string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.Ordinal))
            Assert.Fail("openssl is missing under CI=true (tests/scripts/setup.sh installs it)");
        Skip.If(missing, "openssl not installed (run tests/scripts/setup.sh as root to install it)");
    }
}
