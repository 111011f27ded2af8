using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace EdgeMdm.EndToEnd;

/// <summary>
/// Edge → hub gRPC over TLS: the hub serves a certificate of a private CA on an https gRPC URL (<c>--tls-cert</c>,
/// <c>--tls-key</c>), the appliance trusts exactly that CA (<c>--hub-ca</c>) and the host name. An appliance that does not
/// trust it syncs nothing, says why in <c>sync status</c>, and loses nothing of its outbox.
/// </summary>
public sealed class HubTlsTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(90);

    [Fact]
    public async Task Appliance_trusting_the_hub_s_private_ca_syncs_both_ways_and_one_that_does_not_keeps_its_changes_until_it_does()
    {
        using var hubDir = new TempDirectory();
        using var siteDir = new TempDirectory();
        using var untrustingDir = new TempDirectory();
        using var pki = new TempDirectory();
        Directory.CreateDirectory(pki.Path);
        var (caFile, certificateFile, keyFile) = WriteHubCertificates(pki.Path, "hub CA");
        var (otherCaFile, _, _) = WriteHubCertificates(pki.Path, "another CA");
        var grpcUrl = new Uri("https://127.0.0.1:" + ApplianceProcess.FreePort().ToString(CultureInfo.InvariantCulture));
        await using var hub = await HubProcess.StartAsync(hubDir.Path, grpcUrl: grpcUrl, extraArgs: ["--tls-cert", certificateFile, "--tls-key", keyFile]);
        var (siteId, credential, token) = await hub.AddSiteWithFleetTokenAsync("DC TLS");

        // Trusting the hub's CA: the feed (blueprints, the token) comes down, the site's enrollments go up.
        await using (var appliance = await ApplianceProcess.StartAsync(siteDir.Path, checkinIntervalSeconds: 1, hub: (grpcUrl, credential), extraArgs: ["--hub-ca", caFile]))
        {
            await SyncLedger.WaitFeedAsync(siteDir.Path, SyncLedger.FirstFeedLimit);
            var summary = await Simulation.RunAsync(appliance, token, 3, "3s", Limit);
            Assert.StartsWith("enrolled=3 ", summary, StringComparison.Ordinal);
            await SyncLedger.WaitConvergedAsync(siteDir.Path, hub, siteId, Limit);
            SyncLedger.AssertHubMatchesSite(siteDir.Path, hubDir.Path, siteId);
            Assert.Contains("\"uplink\":\"Connected\"", (await SyncStatusAsync(siteDir.Path)).Stdout, StringComparison.Ordinal);
        }

        // Another site, first trusting only the system's roots, then another CA: nothing crosses, the reason is shown.
        var (otherSiteId, otherCredential) = await hub.AddSiteAsync("DC TLS untrusting");
        await using (var appliance = await ApplianceProcess.StartAsync(untrustingDir.Path, checkinIntervalSeconds: 1, hub: (grpcUrl, otherCredential), seed: true))
        {
            Assert.StartsWith("enrolled=3 ", await Simulation.RunAsync(appliance, Processes.SeedToken, 3, "2s", Limit), StringComparison.Ordinal);
            var failure = await WaitFailureAsync(untrustingDir.Path);
            Assert.Contains("TLS with the hub failed: the hub's certificate (CN=127.0.0.1, issued by CN=hub CA) is not trusted by this system", failure, StringComparison.Ordinal);
        }

        await using (var appliance = await ApplianceProcess.StartAsync(untrustingDir.Path, checkinIntervalSeconds: 1, hub: (grpcUrl, otherCredential), seed: true, extraArgs: ["--hub-ca", otherCaFile]))
        {
            var failure = await WaitFailureAsync(untrustingDir.Path);
            Assert.Contains($"does not chain to the CA in {otherCaFile}", failure, StringComparison.Ordinal);
            Assert.True(SyncLedger.OutboxDepth(untrustingDir.Path) > 0, "the outbox lost the changes the hub never received");
            Assert.Equal(0UL, await hub.AppliedThroughAsync(otherSiteId));
        }

        // Given the right CA, it delivers everything it kept.
        await using (var appliance = await ApplianceProcess.StartAsync(untrustingDir.Path, checkinIntervalSeconds: 1, hub: (grpcUrl, otherCredential), seed: true, extraArgs: ["--hub-ca", caFile]))
        {
            await SyncLedger.WaitConvergedAsync(untrustingDir.Path, hub, otherSiteId, Limit);
            SyncLedger.AssertHubMatchesSite(untrustingDir.Path, hubDir.Path, otherSiteId);
        }
    }

    [Fact]
    public async Task Hub_asked_for_https_without_a_certificate_refuses_to_start_with_one_line()
    {
        using var hubDir = new TempDirectory();
        var grpcUrl = "https://127.0.0.1:" + ApplianceProcess.FreePort().ToString(CultureInfo.InvariantCulture);

        var started = await Processes.RunAsync(Processes.CloudDll, ["serve", "--database", hubDir.Path, "--rest-url", ServerProcess.FreeLoopbackUrl().ToString().TrimEnd('/'), "--grpc-url", grpcUrl], TimeSpan.FromSeconds(60));

        Assert.NotEqual(0, started.ExitCode);
        Assert.Contains("Cloud:GrpcUrl (--grpc-url) is https: give the hub's certificate with --tls-cert FILE --tls-key FILE", started.Stderr, StringComparison.Ordinal);
    }

    private static Task<CommandResult> SyncStatusAsync(string dataDir) =>
        Processes.RunAsync(Processes.EdgeDll, ["sync", "status", "--json", "--data-dir", dataDir], TimeSpan.FromSeconds(60));

    /// <summary>Waits until <c>sync status</c> of the running appliance gives a reason for failing, and returns it.</summary>
    private static async Task<string> WaitFailureAsync(string dataDir)
    {
        var deadline = Stopwatch.StartNew();
        string last = "";
        while (deadline.Elapsed < Limit)
        {
            var status = await SyncStatusAsync(dataDir);
            last = status.Stdout + status.Stderr;
            if (status.ExitCode == 0)
            {
                using var json = JsonDocument.Parse(status.Stdout);
                Assert.NotEqual("Connected", json.RootElement.GetProperty("uplink").GetString());
                if (json.RootElement.TryGetProperty("failure", out var failure) && failure.ValueKind == JsonValueKind.String)
                    return failure.GetString()!;
            }

            await Task.Delay(500);
        }

        Assert.Fail("sync status never gave a reason: " + last);
        return "";
    }

    /// <summary>A private CA and a server certificate it issued for 127.0.0.1 and localhost, as PEM files (.NET's own crypto).</summary>
    private static (string Ca, string Certificate, string Key) WriteHubCertificates(string directory, string caName)
    {
        var now = DateTimeOffset.UtcNow;
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=" + caName, caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        caRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(caRequest.PublicKey, critical: false));
        using var ca = caRequest.CreateSelfSigned(now.AddHours(-1), now.AddYears(1));

        using var serverKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=127.0.0.1", serverKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(ca, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        using var server = request.Create(ca, now.AddHours(-1), now.AddDays(30), RandomNumberGenerator.GetBytes(16));

        var stem = Path.Combine(directory, caName.Replace(' ', '-'));
        File.WriteAllText(stem + "-ca.pem", ca.ExportCertificatePem());
        File.WriteAllText(stem + "-server.pem", server.ExportCertificatePem());
        File.WriteAllText(stem + "-server.key", serverKey.ExportPkcs8PrivateKeyPem());
        // The hub refuses a private key other accounts may read (HubSecretFiles).
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(stem + "-server.key", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return (stem + "-ca.pem", stem + "-server.pem", stem + "-server.key");
    }
}
