using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Agent.Tests;

/// <summary>
/// A simulated fleet meets a declared package: some devices full, some on an old OS, some offline. What the
/// fleet reports is exact, and the retries converge.
/// </summary>
public sealed class FleetRolloutTests : IAsyncLifetime, IDisposable
{
    private const int Devices = 24;

    private readonly ManifestSigner _signer = ManifestSigner.CreateNew();
    private readonly string _directory = Directory.CreateTempSubdirectory("edgemdm-agent-fleet-").FullName;
    private FakeAppliance _appliance = null!;
    private TestPackage _package = null!;

    public async Task InitializeAsync()
    {
        _appliance = await FakeAppliance.StartAsync();
        _appliance.PackageSigningKey = _signer.PublicKeyPem;
        _package = TestPackage.Create(_signer, size: 200_000, minOsVersion: "11");
        _appliance.Packages[_package.Sha256] = _package.Bytes;
        _appliance.Declarations = _package.Declarations(_signer.PublicKeyPem);
    }

    public async Task DisposeAsync() => await _appliance.DisposeAsync();

    public void Dispose()
    {
        _signer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Full_old_and_offline_devices_are_reported_as_such_and_the_rest_converge()
    {
        var options = new SimulationOptions
        {
            Server = _appliance.BaseAddress,
            TlsPin = _appliance.Pin,
            EnrollmentToken = "enroll-token",
            Devices = Devices,
            Duration = TimeSpan.FromSeconds(10),
            IntervalOverride = TimeSpan.FromMilliseconds(100),
            Seed = 5,
            StorageFullFraction = 0.25,
            // The full devices must try (and fail) at least once before their space comes back: on a loaded 2-core
            // runner enrolling, checking in and downloading took longer than 3 s once, and no attempt failed.
            StorageFreedAfter = TimeSpan.FromSeconds(5),
            OldOsFraction = 0.2,
            OfflineFraction = 0.15,
            PackageDirectory = _directory,
            RetryPolicy = new RetryPolicy(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(200), 100),
        };
        var log = new StringWriter();

        var summary = await new FleetSimulator(options, log).RunAsync();

        var reported = _appliance.Statuses.Values.ToList();
        var oldOs = reported.Where(s => string.Equals(s.Os?.Version, "10", StringComparison.Ordinal)).ToList();
        var current = reported.Except(oldOs).ToList();
        var offline = Devices - reported.Count;
        Assert.Equal((Devices, 0L), (summary.Enrolled, summary.Errors));
        Assert.True(offline > 0 && oldOs.Count > 0, $"seed 5 should give offline ({offline}) and old-OS ({oldOs.Count}) devices");

        // Old OS: never offered a download, reported incompatible, never installed.
        Assert.All(oldOs, s => Assert.Equal("incompatible", Assert.Single(s.InstallFailures!).Reason));
        Assert.All(oldOs, s => Assert.DoesNotContain(s.Apps!, a => a.VersionCode == 200 && string.Equals(a.PackageName, "com.acme.scan", StringComparison.Ordinal)));
        Assert.Equal(oldOs.Count, summary.InstallFailuresByReason["incompatible"]);

        // Everyone else runs the new version and reports no failure, full storage included.
        Assert.All(current, s => Assert.Contains(s.Apps!, a => a.VersionCode == 200 && string.Equals(a.PackageName, "com.acme.scan", StringComparison.Ordinal)));
        Assert.All(current, s => Assert.Empty(s.InstallFailures!));
        Assert.Equal(current.Count, summary.Installs);
        Assert.True(summary.InstallFailuresByReason.GetValueOrDefault("storage_full") > 0, summary.ToSummaryLine());

        // One download per installing device, one verified copy on disk for the whole fleet.
        Assert.Equal(current.Count, _appliance.PackageRequests.Count());
        Assert.Equal(current.Count * (long)_package.Bytes.Length, summary.PackageBytes);
        Assert.Single(Directory.EnumerateFiles(Path.Combine(_directory, "verified")));
        Assert.Contains($"installs={current.Count} install_failures=", summary.ToSummaryLine(), StringComparison.Ordinal);
        Assert.Equal("", log.ToString());
    }
}
