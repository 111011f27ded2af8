using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Agent.Tests;

/// <summary>
/// The agent's package path end to end against the fake appliance on Kestrel: declarations name a package,
/// the agent downloads, verifies and installs it, and the next check-in reports what happened.
/// </summary>
public sealed class PackageInstallTests() : FakeAppliancePackageTests("edgemdm-agent-install-", minOsVersion: "13")
{
    private const long GiB = 1024L * 1024 * 1024;

    private readonly FakeTimeProvider _clock = TestData.Clock();

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Appliance.PackageSigningKey = Signer.PublicKeyPem;
        Appliance.Declarations = Package.Declarations(Signer.PublicKeyPem);
    }

    [Fact]
    public async Task A_verified_package_is_installed_and_the_next_checkin_reports_the_new_version()
    {
        var agent = await EnrolledAgentAsync();

        var first = await agent.CheckinAsync();
        await agent.CheckinAsync();

        var outcome = Assert.Single(first.Packages);
        Assert.Equal(PackageStepResult.Installed, outcome.Result);
        Assert.Equal(Package.Bytes.Length, outcome.Downloaded);
        var status = Appliance.Statuses["dev-S1"];
        Assert.Contains(status.Apps!, a => a is { PackageName: "com.acme.scan", VersionCode: 200, VersionName: "2.0.0" });
        Assert.Empty(status.InstallFailures!);
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Scratch, "S1"))); // a real device gives the space back
    }

    [Fact]
    public async Task A_tampered_file_is_signature_bad_deleted_and_not_installed()
    {
        var tampered = (byte[])Package.Bytes.Clone();
        tampered[1234] ^= 0x01;
        Appliance.Packages[Package.Sha256] = tampered;
        var agent = await EnrolledAgentAsync();

        var first = await agent.CheckinAsync();
        await agent.CheckinAsync();

        var outcome = Assert.Single(first.Packages);
        Assert.Equal((PackageStepResult.Failed, InstallFailureReason.SignatureBad), (outcome.Result, outcome.Reason));
        Assert.Contains("SHA-256", outcome.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(agent.Device.InstalledApps, a => a is { PackageName: "com.acme.scan", VersionCode: 200 });
        Assert.Empty(Directory.EnumerateFiles(Path.Combine(Scratch, "S1")));
        var failure = Assert.Single(Appliance.Statuses["dev-S1"].InstallFailures!);
        Assert.Equal(("com.acme.scan", 200L, "signature_bad"), (failure.PackageName, failure.VersionCode!.Value, failure.Reason));
    }

    [Fact]
    public async Task A_manifest_signed_by_another_key_is_signature_bad_without_a_download()
    {
        using var stranger = ManifestSigner.CreateNew();
        var forged = TestPackage.Create(stranger, minOsVersion: "13");
        Appliance.Packages[forged.Sha256] = forged.Bytes;
        Appliance.Declarations = forged.Declarations(Signer.PublicKeyPem);
        var agent = await EnrolledAgentAsync();

        var first = await agent.CheckinAsync();

        var outcome = Assert.Single(first.Packages);
        Assert.Equal(InstallFailureReason.SignatureBad, outcome.Reason);
        Assert.Contains("signature", outcome.Message, StringComparison.Ordinal);
        Assert.Empty(Appliance.PackageRequests);
        Assert.DoesNotContain(agent.Device.InstalledApps, a => a is { PackageName: "com.acme.scan", VersionCode: 200 });
    }

    [Fact]
    public async Task A_different_signing_key_later_is_refused_and_packages_it_signed_are_not_installed()
    {
        using var replacement = ManifestSigner.CreateNew();
        var agent = await EnrolledAgentAsync();
        var resigned = TestPackage.Create(replacement, minOsVersion: "13");
        Appliance.Packages[resigned.Sha256] = resigned.Bytes;
        Appliance.Declarations = resigned.Declarations(replacement.PublicKeyPem, token: "decl-2");

        var outcome = await agent.CheckinAsync();

        Assert.Contains("refused", outcome.SigningKeyRefused, StringComparison.Ordinal);
        Assert.Equal(Signer.KeyId, agent.Packages!.Pin.Verifier!.KeyId);
        Assert.Equal(Signer.PublicKeyPem, agent.Packages.Pin.PinnedPem);
        Assert.Equal(InstallFailureReason.SignatureBad, Assert.Single(outcome.Packages).Reason);
        Assert.Equal(KeyOffer.Refused, agent.OfferSigningKey(replacement.PublicKeyPem));
        Assert.Equal(KeyOffer.Same, agent.OfferSigningKey(Signer.PublicKeyPem));
    }

    [Fact]
    public async Task Storage_full_is_reported_then_retried_from_the_kept_file_once_space_is_freed()
    {
        var agent = await EnrolledAgentAsync();
        agent.Device.SetFreeBytes(Package.Bytes.Length - 1);

        var first = await agent.CheckinAsync();
        agent.Device.SetFreeBytes(2 * GiB);
        var tooEarly = await agent.CheckinAsync();
        _clock.Advance(RetryPolicy.Default.DelayAfter(1));
        var retried = await agent.CheckinAsync();
        await agent.CheckinAsync();

        Assert.Equal(InstallFailureReason.StorageFull, Assert.Single(first.Packages).Reason);
        Assert.Empty(tooEarly.Packages);
        var retry = Assert.Single(retried.Packages);
        Assert.Equal((PackageStepResult.Installed, 0L), (retry.Result, retry.Downloaded));
        Assert.Single(Appliance.PackageRequests); // the retry installed from the verified file
        Assert.Contains(Appliance.Statuses["dev-S1"].Apps!, a => a is { PackageName: "com.acme.scan", VersionCode: 200 });
        Assert.Empty(Appliance.Statuses["dev-S1"].InstallFailures!);
    }

    [Fact]
    public async Task The_storage_full_failure_goes_up_with_the_next_checkin()
    {
        var agent = await EnrolledAgentAsync();
        agent.Device.FillStorage(freedAfter: null);

        await agent.CheckinAsync();
        await agent.CheckinAsync();

        var failure = Assert.Single(Appliance.Statuses["dev-S1"].InstallFailures!);
        Assert.Equal(("storage_full", TestData.Start), (failure.Reason, failure.At!.Value));
        Assert.StartsWith("storage full", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_os_is_incompatible_never_downloaded_and_not_retried()
    {
        var agent = await EnrolledAgentAsync(os: "11");

        var first = await agent.CheckinAsync();
        _clock.Advance(TimeSpan.FromHours(3));
        var later = await agent.CheckinAsync();

        var outcome = Assert.Single(first.Packages);
        Assert.Equal(InstallFailureReason.Incompatible, outcome.Reason);
        Assert.Contains("needs OS 13", outcome.Message, StringComparison.Ordinal);
        Assert.Empty(later.Packages);
        Assert.Empty(Appliance.PackageRequests);
        Assert.Equal("incompatible", Assert.Single(Appliance.Statuses["dev-S1"].InstallFailures!).Reason);
    }

    [Fact]
    public async Task Not_yet_cached_is_retried_after_retry_after_without_counting_a_failure()
    {
        Appliance.UnavailablePackages = 1;
        Appliance.RetryAfterSeconds = 20;
        var agent = await EnrolledAgentAsync();

        var first = await agent.CheckinAsync();
        var beforeRetryAfter = await agent.CheckinAsync();
        _clock.Advance(TimeSpan.FromSeconds(20));
        var after = await agent.CheckinAsync();

        Assert.Equal(PackageStepResult.NotYetAvailable, Assert.Single(first.Packages).Result);
        Assert.Empty(beforeRetryAfter.Packages);
        Assert.Empty(Appliance.Statuses["dev-S1"].InstallFailures ?? []);
        Assert.Equal(PackageStepResult.Installed, Assert.Single(after.Packages).Result);
    }

    [Fact]
    public async Task A_cut_download_is_download_failed_and_the_retry_resumes_it()
    {
        Appliance.CutNextPackageAfterBytes = 50_000;
        var agent = await EnrolledAgentAsync();

        var first = await agent.CheckinAsync();
        _clock.Advance(RetryPolicy.Default.DelayAfter(1));
        var retried = await agent.CheckinAsync();

        Assert.Equal(InstallFailureReason.DownloadFailed, Assert.Single(first.Packages).Reason);
        var retry = Assert.Single(retried.Packages);
        Assert.Equal(PackageStepResult.Installed, retry.Result);
        Assert.InRange(retry.Downloaded, Package.Bytes.Length - 50_000, Package.Bytes.Length - 1);
        Assert.NotNull(Appliance.PackageRequests.Last().Range);
    }

    [Fact]
    public async Task Without_a_pinned_key_nothing_is_installed()
    {
        Appliance.PackageSigningKey = null;
        Appliance.Declarations = Package.Declarations(signingKeyPem: null);
        var agent = await EnrolledAgentAsync();

        var outcome = await agent.CheckinAsync();

        Assert.Equal(InstallFailureReason.SignatureBad, Assert.Single(outcome.Packages).Reason);
        Assert.Empty(Appliance.PackageRequests);
    }

    private async Task<DeviceAgent> EnrolledAgentAsync(string serial = "S1", string? os = "14")
    {
        var device = new VirtualDevice(serial, 42, _clock) { SimulateOutages = false, OsVersionOverride = os };
        device.SetFreeBytes(2 * GiB);
        var enrolled = await Api.EnrollAsync(device.CreateEnrollRequest("enroll-token"));
        var installer = new PackageInstaller(Api, enrolled.DeviceSecret, PackageFiles.ForDevice(Path.Combine(Scratch, serial)), new SigningKeyPin(), _clock);
        var agent = new DeviceAgent(Api, device, enrolled.DeviceSecret, new SiteTrust(enrolled.DeviceId, Appliance.Pin), installer);
        agent.OfferSigningKey(enrolled.PackageSigningKey);
        return agent;
    }
}
