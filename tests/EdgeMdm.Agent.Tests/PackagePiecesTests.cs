using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;
using InstallFailure = EdgeMdm.Contracts.Device.InstallFailure;

namespace EdgeMdm.Agent.Tests;

/// <summary>The pieces of the package path that need no network: the key pin, files, the device's side.</summary>
public sealed class PackagePiecesTests : IDisposable
{
    private readonly ManifestSigner _signer = ManifestSigner.CreateNew();
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-agent-pieces-").FullName;

    public void Dispose()
    {
        _signer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public void The_first_key_is_pinned_the_same_one_accepted_and_another_refused()
    {
        using var other = ManifestSigner.CreateNew();
        var pin = new SigningKeyPin();

        var none = pin.Offer(null);
        var first = pin.Offer(_signer.PublicKeyPem);
        var same = pin.Offer(_signer.PublicKeyPem);
        var different = pin.Offer(other.PublicKeyPem);

        Assert.Equal((KeyOffer.None, KeyOffer.Pinned, KeyOffer.Same, KeyOffer.Refused), (none, first, same, different));
        Assert.Equal(_signer.KeyId, pin.Verifier!.KeyId);
        Assert.Equal(other.KeyId, pin.LastRefusedKeyId);
        Assert.Contains("re-enroll", pin.LastRefusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pin_restored_from_state_refuses_a_new_key_and_garbage_is_refused_before_any_pin()
    {
        using var other = ManifestSigner.CreateNew();
        var restored = new SigningKeyPin(_signer.PublicKeyPem);
        var fresh = new SigningKeyPin();

        Assert.Equal(KeyOffer.Refused, restored.Offer(other.PublicKeyPem));
        Assert.Equal(KeyOffer.Refused, fresh.Offer("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"));
        Assert.Null(fresh.Verifier);
        Assert.Throws<ArgumentException>(() => new SigningKeyPin(_signer.ExportPkcs8Pem()));
    }

    [Theory]
    [InlineData("com.edgemdm.sample.scanner:100:1.0.0", true)]
    [InlineData("com.acme.scan:412:4.1.2:beta", true)]
    [InlineData("com.acme.scan:0:1.0", false)]
    [InlineData("com.acme.scan:-1:1.0", false)]
    [InlineData("scan:100:1.0", false)]
    [InlineData("com.acme.scan:100:", false)]
    [InlineData("com.acme.scan:100", false)]
    public void Sample_apps_parse_from_package_versioncode_and_name(string text, bool valid)
    {
        Assert.Equal(valid, SampleApp.TryParse(text, out var app));
        if (valid)
            Assert.Equal(text, app!.ToString());
    }

    [Fact]
    public void A_promoted_part_becomes_the_verified_file_and_a_second_copy_is_dropped()
    {
        var sha = new string('a', 64);
        var first = new PackageFiles(Path.Combine(_directory, "verified"), Path.Combine(_directory, "parts", "A"), keepAfterInstall: true);
        var second = new PackageFiles(Path.Combine(_directory, "verified"), Path.Combine(_directory, "parts", "B"), keepAfterInstall: true);
        first.EnsureDirectories();
        second.EnsureDirectories();
        File.WriteAllText(first.PartPath(sha), "same bytes");
        File.WriteAllText(second.PartPath(sha), "same bytes");

        first.Promote(sha);
        second.Promote(sha);
        second.Installed(sha);

        Assert.True(first.HasVerified(sha));
        Assert.False(File.Exists(first.PartPath(sha)));
        Assert.False(File.Exists(second.PartPath(sha)));
        Assert.True(second.HasVerified(sha)); // shared files stay after an install
        Assert.Throws<ArgumentException>(() => first.PartPath("../../etc/passwd"));
    }

    [Fact]
    public void Packaged_apps_wait_for_the_agent_while_store_apps_install_by_themselves()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        var package = TestPackage.Create(_signer);
        var declarations = new DeclarationsDocument("t", "floor", [package.Declaration, new AppDeclaration("com.acme.pick", 310, "3.1.0")], null, [], [], null);

        device.ApplyDeclarations(declarations);
        TestData.RunUntil(clock, device, () => device.PendingSteps.Count == 0, TimeSpan.FromHours(2), TimeSpan.FromSeconds(30));

        Assert.Equal("com.acme.scan", Assert.Single(device.PackagesToInstall).PackageName);
        Assert.Contains(device.InstalledApps, a => a is { PackageName: "com.acme.pick", VersionCode: 310 });
        Assert.Equal(new StagingProgress { CompletedSteps = 1, TotalSteps = 2, CurrentStep = "install com.acme.scan 2.0.0 (200)" }, device.Staging);
    }

    [Fact]
    public void Install_failures_are_reported_once_and_cleared_by_the_install_or_a_new_version()
    {
        var (device, package) = DeviceDeclaredOnePackage();
        TestData.CheckIn(device);

        device.RecordInstallFailure(package.Declaration, InstallFailureReason.DownloadFailed, "cut");
        var reported = device.BuildStatusDelta().InstallFailures;
        device.Acknowledge();
        var unchanged = device.BuildStatusDelta().InstallFailures;
        device.Acknowledge();
        device.ApplyDeclarations(package.Declarations(null, token: "t2") with { Apps = [package.Declaration with { VersionCode = 201 }] });
        var afterNewVersion = device.BuildStatusDelta().InstallFailures;

        var failure = Assert.Single(reported!);
        Assert.Equal(new InstallFailure { PackageName = "com.acme.scan", VersionCode = 200, Reason = "download_failed", Message = "cut", At = TestData.Start }, failure);
        Assert.Null(unchanged);
        Assert.Empty(afterNewVersion!);
    }

    [Fact]
    public void A_successful_install_clears_the_failure_and_uses_storage()
    {
        var (device, package) = DeviceDeclaredOnePackage();
        device.RecordInstallFailure(package.Declaration, InstallFailureReason.StorageFull, "full");
        var free = device.FreeBytes;

        var installed = device.TryInstallPackage(package.Declaration, package.Bytes.Length, out _);

        Assert.True(installed);
        Assert.Empty(device.CurrentStatus().InstallFailures!);
        Assert.Empty(device.PackagesToInstall);
        Assert.True(device.FreeBytes < free);
    }

    [Fact]
    public void Full_storage_refuses_installs_until_it_is_freed()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        var package = TestPackage.Create(_signer);

        device.FillStorage(TimeSpan.FromMinutes(10));
        var whileFull = device.TryInstallPackage(package.Declaration, package.Bytes.Length, out var refusal);
        var freeWhileFull = device.FreeBytes;
        clock.Advance(TimeSpan.FromMinutes(10));
        var freeAfter = device.FreeBytes;

        Assert.False(whileFull);
        Assert.StartsWith("storage full", refusal, StringComparison.Ordinal);
        Assert.Equal(0, freeWhileFull);
        Assert.True(freeAfter > 1024L * 1024 * 1024, $"{freeAfter} bytes free after the space was given back");
        Assert.True(device.TryInstallPackage(package.Declaration, package.Bytes.Length, out _));
    }

    [Fact]
    public void The_sample_app_can_be_replaced_or_left_out_and_the_os_overridden()
    {
        var clock = TestData.Clock();
        var replaced = new VirtualDevice("S1", 1, clock) { OsVersionOverride = "10" };
        var without = new VirtualDevice("S2", 1, clock);

        replaced.SetSampleApp(new SampleApp("com.acme.scan", 100, "1.0.0"));
        without.SetSampleApp(null);

        Assert.Contains(replaced.InstalledApps, a => a is { PackageName: "com.acme.scan", VersionCode: 100 });
        Assert.DoesNotContain(replaced.InstalledApps, a => string.Equals(a.PackageName, SampleApp.Default.PackageName, StringComparison.Ordinal));
        Assert.DoesNotContain(without.InstalledApps, a => string.Equals(a.PackageName, SampleApp.Default.PackageName, StringComparison.Ordinal));
        Assert.Equal("10", replaced.CurrentStatus().Os!.Version);
        Assert.Equal("10", replaced.CreateEnrollRequest("t").OsVersion);
    }

    private (VirtualDevice Device, TestPackage Package) DeviceDeclaredOnePackage()
    {
        var device = TestData.Device(TestData.Clock());
        var package = TestPackage.Create(_signer);
        device.ApplyDeclarations(package.Declarations(null));
        return (device, package);
    }
}
