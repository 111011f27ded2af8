using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

public sealed class RolloutReportTests
{
    private static readonly DateTimeOffset Now = new(2026, 6, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly RolloutDeviceRow[] Rows =
    [
        new("lyon", "l1", DeviceOutcome.Installed, Now.AddMinutes(-1)),
        new("lyon", "l2", DeviceOutcome.Failed(InstallFailureReason.StorageFull), Now.AddHours(-3), Straggler: true),
        new("lyon", "l3", DeviceOutcome.Incompatible, Now.AddDays(-9)),
        new("lyon", "l4", DeviceOutcome.Offline, null, Straggler: true),
        new("berlin", "b1", DeviceOutcome.Pending, Now.AddMinutes(-2), Straggler: true),
        new("berlin", "b2", DeviceOutcome.Failed(InstallFailureReason.StorageFull), Now.AddHours(-3), Straggler: true),
        new("berlin", "b3", DeviceOutcome.Failed(InstallFailureReason.SignatureBad), Now.AddMinutes(-30), Straggler: true),
        new("berlin", "b4", DeviceOutcome.Offline, Now.AddDays(-2), Straggler: true),
        new("berlin", "b5", DeviceOutcome.Installed, Now),

        // Waiting for its wave (or still waited for by it): counted, never a straggler.
        new("berlin", "b6", DeviceOutcome.Pending, Now.AddDays(-5)),
    ];

    [Fact]
    public void Counts_across_sites_are_by_state_and_by_failure_reason()
    {
        // Act
        var total = RolloutReport.Build(Rows).Total;

        // Assert
        Assert.Equal(10, total.Devices);
        Assert.Equal((2, 2, 3, 1, 2), (total.Installed, total.Pending, total.Failed, total.Incompatible, total.Offline));
        Assert.Equal(2, total.FailedByReason[InstallFailureReason.StorageFull]);
        Assert.Equal(1, total.FailedByReason[InstallFailureReason.SignatureBad]);
        Assert.Equal(0, total.FailedByReason[InstallFailureReason.DownloadFailed]);
        Assert.Equal(Enum.GetValues<InstallFailureReason>().Length, total.FailedByReason.Count);
    }

    [Fact]
    public void Each_site_has_its_own_counts_in_site_order()
    {
        // Act
        var sites = RolloutReport.Build(Rows).Sites;

        // Assert
        Assert.Equal(["berlin", "lyon"], sites.Select(s => s.SiteId));
        var lyon = sites[1].Counts;
        Assert.Equal((4, 1, 0, 1, 1, 1), (lyon.Devices, lyon.Installed, lyon.Pending, lyon.Failed, lyon.Incompatible, lyon.Offline));
        Assert.Equal(1, lyon.FailedByReason[InstallFailureReason.StorageFull]);
        Assert.Equal(0, lyon.FailedByReason[InstallFailureReason.SignatureBad]);
    }

    [Fact]
    public void Stragglers_are_the_devices_marked_so_not_installed_and_not_incompatible_oldest_check_in_first()
    {
        // Act
        var stragglers = RolloutReport.Build(Rows).Stragglers;

        // Assert: never checked in first, then oldest; equal check-ins by site then device
        Assert.Equal(["lyon/l4", "berlin/b4", "berlin/b2", "lyon/l2", "berlin/b3", "berlin/b1"], stragglers.Select(s => s.SiteId + "/" + s.DeviceId));
        Assert.Equal(new Straggler("berlin", "b3", DeviceRolloutState.Failed, InstallFailureReason.SignatureBad, Now.AddMinutes(-30)), stragglers[4]);
        Assert.Null(stragglers[0].LastCheckIn);
    }

    [Fact]
    public void Each_site_lists_its_own_stragglers_in_the_same_order()
    {
        // Act
        var berlin = RolloutReport.Build(Rows).Sites[0];

        // Assert
        Assert.Equal(["b4", "b2", "b3", "b1"], berlin.Stragglers.Select(s => s.DeviceId));
    }

    [Fact]
    public void Check_ins_are_ordered_by_instant_whatever_their_offset()
    {
        // Arrange: 10:30 UTC written as 12:00+01:30 is older than 11:00 UTC
        var rows = new RolloutDeviceRow[]
        {
            new("s", "later", DeviceOutcome.Pending, new DateTimeOffset(2026, 6, 1, 11, 0, 0, TimeSpan.Zero), Straggler: true),
            new("s", "earlier", DeviceOutcome.Pending, new DateTimeOffset(2026, 6, 1, 12, 0, 0, TimeSpan.FromMinutes(90)), Straggler: true),
        };

        // Act / Assert
        Assert.Equal(["earlier", "later"], RolloutReport.Build(rows).Stragglers.Select(s => s.DeviceId));
    }

    [Fact]
    public void An_empty_rollout_reports_zeros()
    {
        // Act
        var report = RolloutReport.Build([]);

        // Assert
        Assert.Equal(0, report.Total.Devices);
        Assert.Empty(report.Sites);
        Assert.Empty(report.Stragglers);
        Assert.All(report.Total.FailedByReason.Values, count => Assert.Equal(0, count));
    }
}
