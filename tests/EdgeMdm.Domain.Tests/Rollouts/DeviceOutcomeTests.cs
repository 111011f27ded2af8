using EdgeMdm.Domain.Packages;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class DeviceOutcomeTests
{
    internal static readonly RolloutTarget Target = new("com.acme.scan", 412, "13");
    internal static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);
    internal static readonly TimeSpan OfflineAfter = TimeSpan.FromHours(1);

    internal static DeviceReport Report(long? installed = 411, string? os = "14", DateTimeOffset? lastCheckIn = null, InstallFailure? failure = null) =>
        new(installed, os, lastCheckIn ?? Now.AddMinutes(-5), failure);

    private static DeviceOutcome Judge(DeviceReport report) => DeviceOutcomes.Judge(Target, report, Now, OfflineAfter);

    [Fact]
    public void A_device_reporting_the_target_version_is_installed()
    {
        Assert.Equal(DeviceOutcome.Installed, Judge(Report(installed: 412)));
    }

    [Fact]
    public void A_device_that_failed_before_and_now_reports_the_target_is_installed()
    {
        // Arrange: the retry from the cache worked
        var failure = new InstallFailure(412, InstallFailureReason.StorageFull, Now.AddHours(-2));

        // Act
        var before = Judge(Report(installed: 411, failure: failure));
        var after = Judge(Report(installed: 412, failure: failure));

        // Assert
        Assert.Equal(DeviceOutcome.Failed(InstallFailureReason.StorageFull), before);
        Assert.Equal(DeviceOutcome.Installed, after);
    }

    [Fact]
    public void Installed_is_judged_from_the_report_even_on_an_os_below_the_minimum_or_silent_for_long()
    {
        Assert.Equal(DeviceOutcome.Installed, Judge(Report(installed: 412, os: "12", lastCheckIn: Now.AddDays(-30))));
    }

    [Theory]
    [InlineData(413L)]
    [InlineData(411L)]
    [InlineData(null)]
    public void Any_other_version_or_none_is_not_installed(long? installed)
    {
        // A higher version is not the target: a rollback targets a lower one and the device must still move.
        Assert.Equal(DeviceOutcome.Pending, Judge(Report(installed: installed)));
    }

    [Theory]
    [InlineData("12", true)]
    [InlineData("12.9.9", true)]
    [InlineData("13-beta", true)]
    [InlineData("13", false)]
    [InlineData("13.0.1", false)]
    [InlineData("14", false)]
    public void An_os_below_the_package_minimum_is_incompatible(string os, bool incompatible)
    {
        Assert.Equal(incompatible, Judge(Report(os: os)) == DeviceOutcome.Incompatible);
    }

    [Fact]
    public void Incompatible_wins_over_a_failure_and_over_silence()
    {
        // Arrange
        var failure = new InstallFailure(412, InstallFailureReason.DownloadFailed, Now.AddHours(-2));

        // Act / Assert
        Assert.Equal(DeviceOutcome.Incompatible, Judge(Report(os: "11", failure: failure, lastCheckIn: Now.AddDays(-3))));
    }

    [Fact]
    public void Without_a_minimum_no_device_is_incompatible_and_an_unreported_os_is_not_incompatible()
    {
        // Act
        var noMinimum = DeviceOutcomes.Judge(Target with { MinOsVersion = null }, Report(os: "4"), Now, OfflineAfter);
        var unknownOs = Judge(Report(os: null));

        // Assert
        Assert.Equal(DeviceOutcome.Pending, noMinimum);
        Assert.Equal(DeviceOutcome.Pending, unknownOs);
    }

    [Theory]
    [InlineData(InstallFailureReason.StorageFull)]
    [InlineData(InstallFailureReason.DownloadFailed)]
    [InlineData(InstallFailureReason.SignatureBad)]
    [InlineData(InstallFailureReason.Incompatible)]
    [InlineData(InstallFailureReason.Other)]
    public void A_failure_reported_for_the_target_version_is_failed_with_its_reason(InstallFailureReason reason)
    {
        Assert.Equal(DeviceOutcome.Failed(reason), Judge(Report(failure: new InstallFailure(412, reason, Now.AddMinutes(-10)))));
    }

    [Fact]
    public void A_failure_from_an_earlier_version_does_not_count_in_this_rollout()
    {
        Assert.Equal(DeviceOutcome.Pending, Judge(Report(failure: new InstallFailure(411, InstallFailureReason.StorageFull, Now.AddDays(-7)))));
    }

    [Fact]
    public void A_failed_device_that_went_silent_stays_failed_with_its_reason()
    {
        // Arrange
        var failure = new InstallFailure(412, InstallFailureReason.SignatureBad, Now.AddDays(-2));

        // Act / Assert
        Assert.Equal(DeviceOutcome.Failed(InstallFailureReason.SignatureBad), Judge(Report(failure: failure, lastCheckIn: Now.AddDays(-2))));
    }

    [Fact]
    public void A_pending_device_silent_for_longer_than_the_threshold_is_offline()
    {
        Assert.Equal(DeviceOutcome.Pending, Judge(Report(lastCheckIn: Now - OfflineAfter)));
        Assert.Equal(DeviceOutcome.Offline, Judge(Report(lastCheckIn: Now - OfflineAfter - TimeSpan.FromSeconds(1))));
    }

    [Fact]
    public void A_device_that_never_checked_in_is_offline()
    {
        Assert.Equal(DeviceOutcome.Offline, Judge(new DeviceReport(null, null, null, null)));
    }

    [Fact]
    public void The_target_comes_from_the_manifest()
    {
        // Act
        var target = RolloutTarget.Of(new PackageManifest(new string('a', 64), "com.acme.scan", 412, "4.1.2", 10, "13", Now));

        // Assert
        Assert.Equal(Target, target);
    }

    [Theory]
    [InlineData("storage_full", InstallFailureReason.StorageFull)]
    [InlineData("download_failed", InstallFailureReason.DownloadFailed)]
    [InlineData("signature_bad", InstallFailureReason.SignatureBad)]
    [InlineData("incompatible", InstallFailureReason.Incompatible)]
    [InlineData("other", InstallFailureReason.Other)]
    public void Reasons_round_trip_through_their_wire_names(string wire, InstallFailureReason reason)
    {
        Assert.Equal(reason, InstallFailureReasons.Parse(wire));
        Assert.Equal(wire, reason.ToWire());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("battery_low")]
    [InlineData("STORAGE_FULL")]
    public void An_unknown_reason_from_a_newer_agent_counts_as_other(string? wire)
    {
        Assert.Equal(InstallFailureReason.Other, InstallFailureReasons.Parse(wire));
    }
}
