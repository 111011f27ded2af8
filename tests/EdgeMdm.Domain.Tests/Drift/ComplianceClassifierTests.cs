using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;

namespace EdgeMdm.Domain.Tests.Drift;

public sealed class ComplianceClassifierTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 6, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Day = TimeSpan.FromHours(24);

    private static ComplianceState Classify(bool reported, bool compliant, TimeSpan? enrolledAgo, TimeSpan? checkinAgo) =>
        ComplianceClassifier.Classify(new DeviceCompliance(reported, compliant, Now - enrolledAgo, Now - checkinAgo), Now, Day);

    [Fact]
    public void A_device_enrolled_two_minutes_ago_that_has_not_reported_is_unknown_not_non_compliant_nor_stale()
    {
        Assert.Equal(ComplianceState.Unknown, Classify(reported: false, compliant: false, TimeSpan.FromMinutes(2), checkinAgo: null));
    }

    [Fact]
    public void A_device_reenrolled_a_minute_ago_after_days_of_silence_is_unknown_until_it_reports()
    {
        Assert.Equal(ComplianceState.Unknown, Classify(reported: false, compliant: false, TimeSpan.FromMinutes(1), TimeSpan.FromDays(3)));
    }

    [Fact]
    public void A_device_enrolled_long_ago_that_never_reported_is_stale()
    {
        Assert.Equal(ComplianceState.Stale, Classify(reported: false, compliant: false, TimeSpan.FromDays(2), checkinAgo: null));
    }

    [Theory]
    [InlineData(true, ComplianceState.Compliant)]
    [InlineData(false, ComplianceState.NonCompliant)]
    public void A_device_that_reported_recently_is_judged_by_its_findings(bool compliant, ComplianceState expected)
    {
        Assert.Equal(expected, Classify(reported: true, compliant, TimeSpan.FromDays(30), TimeSpan.FromMinutes(5)));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_device_silent_longer_than_the_window_is_stale_whatever_it_last_reported(bool compliant)
    {
        Assert.Equal(ComplianceState.Stale, Classify(reported: true, compliant, TimeSpan.FromDays(30), TimeSpan.FromHours(25)));
    }

    [Fact]
    public void The_window_is_inclusive_and_a_device_never_heard_from_at_a_known_time_is_stale()
    {
        Assert.Equal(ComplianceState.Compliant, Classify(reported: true, compliant: true, enrolledAgo: null, checkinAgo: Day));
        Assert.Equal(ComplianceState.Stale, Classify(reported: false, compliant: false, enrolledAgo: null, checkinAgo: null));
    }

    [Fact]
    public void Names_are_the_views_words_in_order()
    {
        Assert.Equal(
            ComplianceClassifier.Names,
            Enum.GetValues<ComplianceState>().Select(ComplianceClassifier.Name));
        Assert.Equal("non-compliant", ComplianceClassifier.Name(ComplianceState.NonCompliant));
    }

    [Theory]
    [InlineData("", false)]
    [InlineData("{}", false)]
    [InlineData(" {} ", false)]
    [InlineData("not json", false)]
    [InlineData("{\"battery\":{\"level\":40}}", true)]
    [InlineData("{\"apps\":[]}", true)]
    [InlineData("{\"apps\":null}", false)]
    [InlineData("[1]", false)]
    public void Reported_means_the_status_holds_an_item(string statusJson, bool expected)
    {
        Assert.Equal(expected, ComplianceClassifier.HasReported(statusJson));
    }

    [Fact]
    public void The_key_app_is_the_blueprints_first_app_beside_the_installed_version()
    {
        var blueprint = Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 120, "1.2"), new RequiredApp("com.acme.chat", 5, "5")] };
        var status = new DeviceStatus { Apps = [new InstalledApp { PackageName = "com.acme.scan", VersionCode = 100, VersionName = "1.0" }] };

        var key = KeyApp.Of(blueprint, status)!;
        var nothing = KeyApp.Of(blueprint, new DeviceStatus())!;

        Assert.Equal(("com.acme.scan", 120L, 100L, false), (key.PackageName, key.RequiredVersionCode, key.InstalledVersionCode!.Value, key.Current));
        Assert.Equal("com.acme.scan 1.0 (100), wants 1.2 (120)", key.Text());
        Assert.Equal("com.acme.scan -, wants 1.2 (120)", nothing.Text());
        Assert.Null(KeyApp.Of(Blueprint.Empty("pickers"), status));
        Assert.Null(KeyApp.Of(null, status));
    }

    [Fact]
    public void Status_text_names_battery_dock_storage_wifi_os_and_apps()
    {
        var status = new DeviceStatus
        {
            Os = new OsStatus { Version = "13", SecurityPatch = new DateOnly(2026, 11, 1) },
            Battery = new BatteryStatus { Level = 80, HealthPercent = 91, Charging = true, Docked = true, DockedAt = new DockLocation { CradleId = "C1", Slot = 3 } },
            Storage = new StorageStatus { FreeBytes = 3L * 1024 * 1024 * 1024 / 2, TotalBytes = 32L * 1024 * 1024 * 1024 },
            Wifi = new WifiStatus { Ssid = "dc-floor", Rssi = -61, Bssid = "aa:bb:cc:dd:ee:ff" },
            Apps = [new InstalledApp { PackageName = "com.acme.scan", VersionCode = 120, VersionName = "1.2" }],
        };

        var lines = DeviceStatusText.Lines(status).ToDictionary(l => l.Label, l => l.Text, StringComparer.Ordinal);

        Assert.Equal("13, security patch 2026-11-01", lines["os"]);
        Assert.Equal("80 %, health 91 %, charging, docked in cradle C1 slot 3", lines["battery"]);
        Assert.Equal("1.5 GB free of 32 GB", lines["storage"]);
        Assert.Equal("dc-floor, -61 dBm, access point aa:bb:cc:dd:ee:ff", lines["wi-fi"]);
        Assert.Equal("com.acme.scan 1.2 (120)", lines["app"]);
        Assert.Equal("C1/3", DeviceStatusText.Dock(status.Battery));
        Assert.Equal("-", DeviceStatusText.Dock(new BatteryStatus { Docked = false }));
        Assert.All(DeviceStatusText.Lines(new DeviceStatus()), l => Assert.Equal(DeviceStatusText.NotReported, l.Text));
    }

    [Fact]
    public void The_known_command_types_are_one_ordered_list()
    {
        Assert.Equal(["clear-app-data", "lock", "reboot", "refresh-status", "ring", "staging.retryStep", "wipe"], DeviceCommandTypes.All);
        Assert.True(DeviceCommandTypes.IsKnown("lock"));
        Assert.False(DeviceCommandTypes.IsKnown("Lock"));
        Assert.False(DeviceCommandTypes.IsKnown("self-destruct"));
    }
}
