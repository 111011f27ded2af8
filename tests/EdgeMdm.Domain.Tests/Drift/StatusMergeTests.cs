using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Domain.Tests.Drift;

public sealed class StatusMergeTests
{
    private static readonly DeviceStatus Stored = new()
    {
        Apps = [new InstalledApp { PackageName = "com.acme.scan", VersionCode = 240 }, new InstalledApp { PackageName = "com.acme.print", VersionCode = 17 }],
        Os = new OsStatus { Version = "13", SecurityPatch = new DateOnly(2025, 1, 5) },
        Battery = new BatteryStatus { Level = 80, HealthPercent = 91, CycleCount = 300 },
        Storage = new StorageStatus { FreeBytes = 1_000, TotalBytes = 32_000 },
        Wifi = new WifiStatus { Ssid = "dc-floor", Rssi = -60 },
        Configurations = [new AppliedConfiguration { Id = "wifi", AppliedHash = "aaa" }],
        Certificates = [new CertificateStatus { Name = "site-wifi", NotAfter = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) }],
        Staging = new StagingProgress { CompletedSteps = 2, TotalSteps = 5, CurrentStep = "install apps" },
        InstallFailures = [new InstallFailure { PackageName = "com.acme.scan", VersionCode = 250, Reason = "storage_full", At = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero) }],
        DeclarationsVerification = new DeclarationsVerification { HeldVersion = 3, Refusal = "rollback", RefusedVersion = 2 },
    };

    [Fact]
    public void Every_status_item_is_stored_none_dropped()
    {
        // An item the merge forgets is silently lost at every check-in; this fails for any new one left out.
        foreach (var item in typeof(DeviceStatus).GetProperties())
        {
            Assert.NotNull(item.GetValue(Stored));
            var onlyThis = new DeviceStatus();
            item.SetValue(onlyThis, item.GetValue(Stored));

            var merged = StatusMerge.Apply(new DeviceStatus(), onlyThis);

            Assert.Same(item.GetValue(Stored), item.GetValue(merged));
        }
    }

    [Fact]
    public void Check_in_without_changes_keeps_every_stored_item()
    {
        // Act
        var merged = StatusMerge.Apply(Stored, new DeviceStatus());

        // Assert
        Assert.Equal(Stored, merged);
    }

    [Fact]
    public void First_check_in_takes_everything_reported()
    {
        // Act
        var merged = StatusMerge.Apply(new DeviceStatus(), Stored);

        // Assert
        Assert.Equal(Stored, merged);
    }

    [Fact]
    public void Present_items_replace_stored_ones_and_absent_items_keep_theirs()
    {
        // Arrange
        var changes = new DeviceStatus
        {
            Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2025, 5, 1) },
            Staging = new StagingProgress { CompletedSteps = 5, TotalSteps = 5 },
        };

        // Act
        var merged = StatusMerge.Apply(Stored, changes);

        // Assert
        Assert.Same(changes.Os, merged.Os);
        Assert.Same(changes.Staging, merged.Staging);
        Assert.Same(Stored.Apps, merged.Apps);
        Assert.Same(Stored.Battery, merged.Battery);
        Assert.Same(Stored.Storage, merged.Storage);
        Assert.Same(Stored.Wifi, merged.Wifi);
        Assert.Same(Stored.Configurations, merged.Configurations);
        Assert.Same(Stored.Certificates, merged.Certificates);
    }

    [Fact]
    public void Reported_app_list_replaces_the_stored_list_whole()
    {
        // Arrange: the print app was uninstalled and the scanner updated.
        var changes = new DeviceStatus { Apps = [new InstalledApp { PackageName = "com.acme.scan", VersionCode = 241 }] };

        // Act
        var merged = StatusMerge.Apply(Stored, changes);

        // Assert
        var app = Assert.Single(merged.Apps!);
        Assert.Equal(241, app.VersionCode);
    }

    [Fact]
    public void Reported_empty_list_clears_the_stored_list()
    {
        // Arrange
        var changes = new DeviceStatus { Certificates = [] };

        // Act
        var merged = StatusMerge.Apply(Stored, changes);

        // Assert
        Assert.NotNull(merged.Certificates);
        Assert.Empty(merged.Certificates);
    }

    [Fact]
    public void Reported_item_replaces_the_stored_one_whole_not_field_by_field()
    {
        // Arrange: a battery report that only carries the charge level.
        var changes = new DeviceStatus { Battery = new BatteryStatus { Level = 35 } };

        // Act
        var merged = StatusMerge.Apply(Stored, changes);

        // Assert
        Assert.Equal(new BatteryStatus { Level = 35 }, merged.Battery);
        Assert.Null(merged.Battery!.HealthPercent);
    }

    [Fact]
    public void Arguments_are_required()
    {
        Assert.Throws<ArgumentNullException>(() => StatusMerge.Apply(null!, new DeviceStatus()));
        Assert.Throws<ArgumentNullException>(() => StatusMerge.Apply(new DeviceStatus(), null!));
    }

    [Theory]
    [InlineData(5, 5, true)]
    [InlineData(6, 5, true)]
    [InlineData(0, 0, true)]
    [InlineData(4, 5, false)]
    [InlineData(0, 5, false)]
    [InlineData(null, 5, false)]
    [InlineData(5, null, false)]
    [InlineData(null, null, false)]
    public void Staging_is_complete_when_every_step_is_done(int? completed, int? total, bool complete)
    {
        // Arrange
        var staging = new StagingProgress { CompletedSteps = completed, TotalSteps = total };

        // Act / Assert
        Assert.Equal(complete, StatusMerge.StagingComplete(staging));
    }

    [Fact]
    public void Staging_never_reported_is_not_complete()
    {
        Assert.False(StatusMerge.StagingComplete(null));
    }
}
