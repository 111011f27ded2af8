using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Agent.Tests;

public sealed class VirtualDeviceDeclarationsTests
{
    private static readonly TimeSpan CheckinInterval = TimeSpan.FromSeconds(30);

    [Fact]
    public void Installs_converge_to_declared_versions()
    {
        var declarations = TestData.FloorDeclarations();

        var device = Converged(declarations);
        var status = device.CurrentStatus();

        Assert.Empty(device.PendingSteps);
        Assert.Contains(status.Apps!, a => a is { PackageName: "com.edgemdm.sample.scanner", VersionCode: 200, VersionName: "2.0.0" });
        Assert.Contains(status.Apps!, a => a is { PackageName: "com.acme.pick", VersionCode: 310, VersionName: "3.1.0" });
        Assert.Contains(status.Apps!, a => a.PackageName is "com.android.chrome"); // undeclared apps stay
        Assert.Equal(declarations.Token, device.DeclarationsToken);
    }

    [Fact]
    public void Installs_take_more_than_one_checkin()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.ApplyDeclarations(TestData.FloorDeclarations());

        clock.Advance(CheckinInterval);
        var staging = device.Staging!;

        Assert.Equal(4, staging.TotalSteps);
        Assert.InRange(staging.CompletedSteps!.Value, 0, 3);
        Assert.NotNull(staging.CurrentStep);
    }

    [Fact]
    public void Configuration_reports_the_declared_hash_and_certificate_is_valid_for_a_year()
    {
        var declarations = TestData.FloorDeclarations();

        var device = Converged(declarations);
        var status = device.CurrentStatus();

        var configuration = Assert.Single(status.Configurations!);
        Assert.Equal(new AppliedConfiguration { Id = "wifi", AppliedHash = declarations.Configurations[0].Hash }, configuration);
        var certificate = Assert.Single(status.Certificates!);
        Assert.Equal("wifi-client", certificate.Name);
        Assert.InRange(certificate.NotAfter!.Value, TestData.Start.AddDays(365), TestData.Start.AddDays(365).AddHours(2));
    }

    [Fact]
    public void Staging_counts_apps_configurations_and_certificates_until_all_are_done()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);

        device.ApplyDeclarations(TestData.FloorDeclarations());
        var before = device.Staging!;
        RunUntilNothingPending(clock, device, TimeSpan.FromHours(2));
        var after = device.Staging!;

        Assert.Equal(new StagingProgress { CompletedSteps = 0, TotalSteps = 4, CurrentStep = before.CurrentStep }, before);
        Assert.Equal(new StagingProgress { CompletedSteps = 4, TotalSteps = 4, CurrentStep = null }, after);
    }

    [Fact]
    public void Already_satisfied_items_count_as_completed_steps()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        var declarations = TestData.FloorDeclarations() with
        {
            Apps = [new AppDeclaration("com.edgemdm.sample.scanner", 100, "1.0.0")],
            Configurations = [],
            Certificates = [],
        };

        device.ApplyDeclarations(declarations);

        Assert.Equal(new StagingProgress { CompletedSteps = 1, TotalSteps = 1 }, device.Staging);
    }

    [Fact]
    public void Install_fails_with_storage_full_and_succeeds_once_space_is_freed()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.SetFreeBytes(30L * 1024 * 1024);
        var declarations = TestData.FloorDeclarations() with { Configurations = [], Certificates = [] };

        device.ApplyDeclarations(declarations);
        clock.Advance(TimeSpan.FromMinutes(3));
        var failing = device.PendingSteps;

        Assert.Equal(2, failing.Count);
        Assert.All(failing, step => Assert.StartsWith("storage full", step.LastError, StringComparison.Ordinal));
        Assert.All(failing, step => Assert.True(step.Attempts >= 1));
        Assert.Contains("attempt", device.Staging!.CurrentStep, StringComparison.Ordinal);

        device.SetFreeBytes(4L * 1024 * 1024 * 1024);
        RunUntilNothingPending(clock, device, TimeSpan.FromHours(1));

        Assert.Empty(device.PendingSteps);
    }

    [Fact]
    public void Download_failure_is_retried_with_backoff()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.DownloadFailureRate = 1;
        var declarations = TestData.FloorDeclarations() with
        {
            Apps = [new AppDeclaration("com.acme.pick", 310, "3.1.0")],
            Configurations = [],
            Certificates = [],
        };

        device.ApplyDeclarations(declarations);
        while (device.PendingSteps.Single().Attempts == 0)
            clock.Advance(TimeSpan.FromSeconds(1));
        var step = Assert.Single(device.PendingSteps);

        Assert.Equal(1, step.Attempts);
        Assert.StartsWith("download failed", step.LastError, StringComparison.Ordinal);
        Assert.InRange(step.NextAttemptAt - clock.GetUtcNow(), TimeSpan.FromSeconds(23), TimeSpan.FromSeconds(36)); // 30 s ± 20 %

        clock.Advance(TimeSpan.FromMinutes(10));
        Assert.InRange(device.PendingSteps.Single().Attempts, 3, 6); // 30 s, 1 min, 2 min, 4 min... not every second

        device.DownloadFailureRate = 0;
        RunUntilNothingPending(clock, device, TimeSpan.FromMinutes(30));
        Assert.Empty(device.PendingSteps);
    }

    [Fact]
    public void Configurations_and_certificates_no_longer_declared_are_removed()
    {
        var device = Converged(TestData.FloorDeclarations());

        device.ApplyDeclarations(TestData.FloorDeclarations() with { Token = "next", Configurations = [], Certificates = [] });
        var status = device.CurrentStatus();

        Assert.Empty(status.Configurations!);
        Assert.Empty(status.Certificates!);
        Assert.Equal(2, status.Staging!.TotalSteps);
    }

    [Fact]
    public void Restored_declarations_are_held_at_once()
    {
        var device = TestData.Device(TestData.Clock());
        var declarations = TestData.FloorDeclarations();

        device.RestoreDeclarations(declarations);

        Assert.Empty(device.PendingSteps);
        Assert.Equal(new StagingProgress { CompletedSteps = 4, TotalSteps = 4 }, device.Staging);
        Assert.Equal(declarations.Token, device.DeclarationsToken);
    }

    [Fact]
    public void New_declarations_appear_in_the_next_delta_as_apps_and_staging()
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        TestData.CheckIn(device);

        device.ApplyDeclarations(TestData.FloorDeclarations());
        RunUntilNothingPending(clock, device, TimeSpan.FromHours(2));
        clock.Advance(TimeSpan.FromSeconds(1));
        TestData.CheckIn(device);

        Assert.True(device.BuildStatusDelta().IsEmpty());
    }

    /// <summary>A fresh device that was given these declarations and checked in until it had carried them all out.</summary>
    private static VirtualDevice Converged(DeclarationsDocument declarations)
    {
        var clock = TestData.Clock();
        var device = TestData.Device(clock);
        device.ApplyDeclarations(declarations);
        RunUntilNothingPending(clock, device, TimeSpan.FromHours(2));
        return device;
    }

    private static void RunUntilNothingPending(FakeTimeProvider clock, VirtualDevice device, TimeSpan limit) =>
        TestData.RunUntil(clock, device, () => device.PendingSteps.Count == 0, limit, CheckinInterval);
}
