using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;
using Microsoft.Extensions.Time.Testing;

namespace EdgeMdm.Domain.Tests.Drift;

public sealed class DriftEvaluatorTests
{
    private const string Scanner = "com.acme.scan";
    private static readonly DateTimeOffset Now = new(2025, 6, 1, 8, 0, 0, TimeSpan.Zero);

    private static readonly ConfigurationPayload Wifi = new("wifi", new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["ssid"] = "dc-floor",
        ["security"] = "wpa3",
    });

    private static Blueprint Bare => Blueprint.Empty("scanners");

    private static Blueprint WithApp(long versionCode = 241, string versionName = "2.4.1") =>
        Bare with { Apps = [new RequiredApp(Scanner, versionCode, versionName)] };

    private static Blueprint WithOsFloor(string? minVersion = null, DateOnly? minPatch = null) =>
        Bare with { Os = new OsFloor(minVersion, minPatch) };

    private static Blueprint WithCertificate(int minDaysValid = 30) =>
        Bare with { Certificates = [new CertificateRule("site-wifi", minDaysValid)] };

    private static DeviceStatus Reporting(params InstalledApp[] apps) => new() { Apps = apps };

    private static InstalledApp App(string packageName, long? versionCode, string? versionName = null) =>
        new() { PackageName = packageName, VersionCode = versionCode, VersionName = versionName };

    private static DeviceStatus HoldingCertificate(DateTimeOffset? notAfter) =>
        new() { Certificates = [new CertificateStatus { Name = "site-wifi", NotAfter = notAfter }] };

    // ---- nothing reported ------------------------------------------------------------------------------

    public static TheoryData<string> Requirements() =>
        ["app", "os.version", "os.securityPatch", "config", "certificate", "battery"];

    private static Blueprint Requiring(string requirement) => requirement switch
    {
        "app" => WithApp(),
        "os.version" => WithOsFloor(minVersion: "13"),
        "os.securityPatch" => WithOsFloor(minPatch: new DateOnly(2025, 1, 5)),
        "config" => Bare with { Configurations = [Wifi] },
        "certificate" => WithCertificate(),
        "battery" => Bare with { BatteryHealthFloorPercent = 80 },
        _ => throw new ArgumentOutOfRangeException(nameof(requirement), requirement, "unknown requirement"),
    };

    [Theory]
    [MemberData(nameof(Requirements))]
    public void Device_that_reported_nothing_is_never_compliant(string requirement)
    {
        // Arrange: assigned to a group, but no status has arrived yet.
        var blueprint = Requiring(requirement);

        // Act
        var report = DriftEvaluator.Evaluate(blueprint, new DeviceStatus(), Now);

        // Assert
        Assert.False(report.Compliant);
        var finding = Assert.Single(report.Findings);
        Assert.Equal(DriftEvaluator.NotReported, finding.Actual);
    }

    [Fact]
    public void Blueprint_without_requirements_is_met_by_any_status()
    {
        // Arrange
        var blueprint = Bare;

        // Act
        var empty = DriftEvaluator.Evaluate(blueprint, new DeviceStatus(), Now);
        var full = DriftEvaluator.Evaluate(blueprint, Reporting(App(Scanner, 1)), Now);

        // Assert
        Assert.True(empty.Compliant);
        Assert.Empty(empty.Findings);
        Assert.True(full.Compliant);
    }

    [Fact]
    public void Os_floor_with_neither_version_nor_patch_requires_nothing()
    {
        // Arrange
        var blueprint = WithOsFloor();

        // Act
        var report = DriftEvaluator.Evaluate(blueprint, new DeviceStatus(), Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Fact]
    public void Device_meeting_every_requirement_is_compliant()
    {
        // Arrange
        var blueprint = new Blueprint(
            "scanners",
            [new RequiredApp(Scanner, 241, "2.4.1"), new RequiredApp("com.acme.print", 17, "1.7")],
            new OsFloor("13.0.1", new DateOnly(2025, 1, 5)),
            [Wifi],
            [new CertificateRule("site-wifi", 30)],
            80);
        var status = new DeviceStatus
        {
            Apps = [App("com.acme.print", 17, "1.7"), App(Scanner, 241, "2.4.1"), App("com.other", 3)],
            Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2025, 5, 1) },
            Battery = new BatteryStatus { HealthPercent = 92, Level = 40 },
            Configurations = [new AppliedConfiguration { Id = "wifi", AppliedHash = Wifi.Hash }],
            Certificates = [new CertificateStatus { Name = "site-wifi", NotAfter = Now.AddDays(365) }],
        };

        // Act
        var report = DriftEvaluator.Evaluate(blueprint, status, Now);

        // Assert
        Assert.Empty(report.Findings);
        Assert.True(report.Compliant);
    }

    [Fact]
    public void Device_with_several_problems_gets_one_finding_per_item_in_blueprint_order()
    {
        // Arrange
        var blueprint = new Blueprint(
            "scanners",
            [new RequiredApp(Scanner, 241, "2.4.1")],
            new OsFloor("13", new DateOnly(2025, 1, 5)),
            [Wifi],
            [new CertificateRule("site-wifi", 30)],
            80);

        // Act
        var report = DriftEvaluator.Evaluate(blueprint, new DeviceStatus(), Now);

        // Assert
        Assert.Equal(
            ["app:" + Scanner, "os.version", "os.securityPatch", "config:wifi", "cert:site-wifi", "battery.health"],
            report.Findings.Select(f => f.Item));
    }

    // ---- apps ------------------------------------------------------------------------------------------

    [Fact]
    public void App_at_exactly_the_required_version_code_is_compliant()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241, "2.4.1"), Reporting(App(Scanner, 241, "2.4.1")), Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Fact]
    public void App_version_name_is_not_compared_only_the_version_code()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241, "2.4.1"), Reporting(App(Scanner, 241, "2.4.1-hotfix")), Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Theory]
    [InlineData(240, "2.4.0")]
    [InlineData(242, "2.4.2")]
    public void App_older_or_newer_than_required_is_major_drift(long installedCode, string installedName)
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241, "2.4.1"), Reporting(App(Scanner, installedCode, installedName)), Now);

        // Assert
        Assert.False(report.Compliant);
        Assert.Equal(
            new DriftFinding("app:" + Scanner, "2.4.1 (241)", $"{installedName} ({installedCode})", Severity.Major),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void App_reported_without_version_code_is_major_drift()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241), Reporting(App(Scanner, versionCode: null)), Now);

        // Assert
        var finding = Assert.Single(report.Findings);
        Assert.Equal(Severity.Major, finding.Severity);
    }

    [Fact]
    public void Missing_app_is_critical_drift()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241, "2.4.1"), Reporting(App("com.acme.print", 17)), Now);

        // Assert
        Assert.Equal(
            new DriftFinding("app:" + Scanner, "2.4.1 (241)", "(not installed)", Severity.Critical),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void Empty_app_list_means_the_app_is_missing_not_unreported()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(), Reporting(), Now);

        // Assert
        var finding = Assert.Single(report.Findings);
        Assert.Equal("(not installed)", finding.Actual);
        Assert.Equal(Severity.Critical, finding.Severity);
    }

    [Fact]
    public void Unreported_app_list_is_critical_drift()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241, "2.4.1"), new DeviceStatus(), Now);

        // Assert
        Assert.Equal(
            new DriftFinding("app:" + Scanner, "2.4.1 (241)", DriftEvaluator.NotReported, Severity.Critical),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void App_package_names_are_compared_exactly()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithApp(241), Reporting(App("COM.ACME.SCAN", 241)), Now);

        // Assert
        Assert.Equal("(not installed)", Assert.Single(report.Findings).Actual);
    }

    // ---- OS --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData("13", "13", true)]
    [InlineData("13.0.1", "13", true)]
    [InlineData("13.0.0", "13", true)]
    [InlineData("14", "13.0.1", true)]
    [InlineData("10", "9", true)]
    [InlineData("13.10", "13.9", true)]
    [InlineData("13", "13.0.1", false)]
    [InlineData("9", "10", false)]
    [InlineData("12.1", "13", false)]
    [InlineData("14-beta", "14", false)]
    public void Os_version_is_compared_number_by_number_against_the_floor(string reported, string floor, bool compliant)
    {
        // Arrange
        var status = new DeviceStatus { Os = new OsStatus { Version = reported } };

        // Act
        var report = DriftEvaluator.Evaluate(WithOsFloor(minVersion: floor), status, Now);

        // Assert
        Assert.Equal(compliant, report.Compliant);
    }

    [Fact]
    public void Os_version_below_floor_is_major_drift()
    {
        // Arrange
        var status = new DeviceStatus { Os = new OsStatus { Version = "13" } };

        // Act
        var report = DriftEvaluator.Evaluate(WithOsFloor(minVersion: "13.0.1"), status, Now);

        // Assert
        Assert.Equal(new DriftFinding("os.version", ">= 13.0.1", "13", Severity.Major), Assert.Single(report.Findings));
    }

    [Fact]
    public void Os_reported_without_version_is_major_drift()
    {
        // Arrange: the patch level arrived, the version did not.
        var status = new DeviceStatus { Os = new OsStatus { SecurityPatch = new DateOnly(2025, 5, 1) } };

        // Act
        var report = DriftEvaluator.Evaluate(WithOsFloor(minVersion: "13"), status, Now);

        // Assert
        Assert.Equal(new DriftFinding("os.version", ">= 13", DriftEvaluator.NotReported, Severity.Major), Assert.Single(report.Findings));
    }

    [Theory]
    [InlineData("2025-01-04", false)]
    [InlineData("2025-01-05", true)]
    [InlineData("2025-03-01", true)]
    public void Security_patch_older_than_floor_is_drift(string reported, bool compliant)
    {
        // Arrange
        var status = new DeviceStatus { Os = new OsStatus { SecurityPatch = DateOnly.ParseExact(reported, "yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture) } };

        // Act
        var report = DriftEvaluator.Evaluate(WithOsFloor(minPatch: new DateOnly(2025, 1, 5)), status, Now);

        // Assert
        Assert.Equal(compliant, report.Compliant);
    }

    [Fact]
    public void Security_patch_below_floor_is_major_drift()
    {
        // Arrange
        var status = new DeviceStatus { Os = new OsStatus { Version = "14", SecurityPatch = new DateOnly(2024, 11, 1) } };

        // Act
        var report = DriftEvaluator.Evaluate(WithOsFloor("13", new DateOnly(2025, 1, 5)), status, Now);

        // Assert
        Assert.Equal(
            new DriftFinding("os.securityPatch", ">= 2025-01-05", "2024-11-01", Severity.Major),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void Security_patch_not_reported_is_major_drift()
    {
        // Arrange
        var status = new DeviceStatus { Os = new OsStatus { Version = "14" } };

        // Act
        var report = DriftEvaluator.Evaluate(WithOsFloor(minPatch: new DateOnly(2025, 1, 5)), status, Now);

        // Assert
        Assert.Equal(
            new DriftFinding("os.securityPatch", ">= 2025-01-05", DriftEvaluator.NotReported, Severity.Major),
            Assert.Single(report.Findings));
    }

    // ---- configurations --------------------------------------------------------------------------------

    [Fact]
    public void Configuration_applied_with_the_payload_hash_is_compliant()
    {
        // Arrange
        var status = new DeviceStatus { Configurations = [new AppliedConfiguration { Id = "wifi", AppliedHash = Wifi.Hash }] };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { Configurations = [Wifi] }, status, Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Fact]
    public void Configuration_hash_does_not_depend_on_the_order_values_were_written_in()
    {
        // Arrange: the same payload, built in a different order (e.g. read back from another store).
        var reordered = new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal)
        {
            ["security"] = "wpa3",
            ["ssid"] = "dc-floor",
        });
        var status = new DeviceStatus { Configurations = [new AppliedConfiguration { Id = "wifi", AppliedHash = reordered.Hash }] };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { Configurations = [Wifi] }, status, Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Fact]
    public void Configuration_applied_with_another_hash_is_major_drift()
    {
        // Arrange: the device still runs last month's payload.
        var old = new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "dc-old" });
        var status = new DeviceStatus { Configurations = [new AppliedConfiguration { Id = "wifi", AppliedHash = old.Hash }] };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { Configurations = [Wifi] }, status, Now);

        // Assert
        Assert.Equal(new DriftFinding("config:wifi", Wifi.Hash, old.Hash, Severity.Major), Assert.Single(report.Findings));
    }

    [Fact]
    public void Configuration_missing_from_the_reported_list_is_not_applied()
    {
        // Arrange
        var status = new DeviceStatus { Configurations = [new AppliedConfiguration { Id = "vpn", AppliedHash = "abc" }] };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { Configurations = [Wifi] }, status, Now);

        // Assert
        Assert.Equal(new DriftFinding("config:wifi", Wifi.Hash, "(not applied)", Severity.Major), Assert.Single(report.Findings));
    }

    [Fact]
    public void Configuration_listed_without_a_hash_is_not_applied()
    {
        // Arrange
        var status = new DeviceStatus { Configurations = [new AppliedConfiguration { Id = "wifi", AppliedHash = null }] };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { Configurations = [Wifi] }, status, Now);

        // Assert
        Assert.Equal(new DriftFinding("config:wifi", Wifi.Hash, "(not applied)", Severity.Major), Assert.Single(report.Findings));
    }

    [Fact]
    public void Configurations_not_reported_are_major_drift()
    {
        // Act
        var report = DriftEvaluator.Evaluate(Bare with { Configurations = [Wifi] }, new DeviceStatus(), Now);

        // Assert
        Assert.Equal(new DriftFinding("config:wifi", Wifi.Hash, DriftEvaluator.NotReported, Severity.Major), Assert.Single(report.Findings));
    }

    // ---- certificates ----------------------------------------------------------------------------------

    [Fact]
    public void Certificate_valid_well_beyond_the_minimum_is_compliant()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(30), HoldingCertificate(Now.AddDays(90)), Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Fact]
    public void Certificate_valid_for_exactly_the_minimum_days_is_compliant()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(30), HoldingCertificate(Now.AddDays(30)), Now);

        // Assert
        Assert.True(report.Compliant);
    }

    [Theory]
    [InlineData("2025-06-20", "expires 2025-06-20", Severity.Minor)] // within the minimum days
    [InlineData("2025-05-31", "expired 2025-05-31", Severity.Critical)]
    public void Certificate_expiring_within_the_minimum_days_is_minor_drift_and_an_expired_one_critical(string notAfterDate, string actual, Severity severity)
    {
        // Arrange
        var notAfter = new DateTimeOffset(DateOnly.Parse(notAfterDate, CultureInfo.InvariantCulture), TimeOnly.MinValue, TimeSpan.Zero);

        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(30), HoldingCertificate(notAfter), Now);

        // Assert
        Assert.Equal(
            new DriftFinding("cert:site-wifi", "valid >= 30 days", actual, severity),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void Certificate_expiring_at_this_instant_counts_as_expired()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(0), HoldingCertificate(Now), Now);

        // Assert
        Assert.Equal(Severity.Critical, Assert.Single(report.Findings).Severity);
    }

    [Fact]
    public void Certificate_drifts_from_fine_to_minor_to_critical_as_time_passes()
    {
        // Arrange
        var clock = new FakeTimeProvider(Now);
        var status = HoldingCertificate(Now.AddDays(45));
        var blueprint = WithCertificate(30);

        // Act
        var today = DriftEvaluator.Evaluate(blueprint, status, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(15) + TimeSpan.FromSeconds(1));
        var inTwoWeeks = DriftEvaluator.Evaluate(blueprint, status, clock.GetUtcNow());
        clock.Advance(TimeSpan.FromDays(30));
        var inSixWeeks = DriftEvaluator.Evaluate(blueprint, status, clock.GetUtcNow());

        // Assert
        Assert.True(today.Compliant);
        Assert.Equal(Severity.Minor, Assert.Single(inTwoWeeks.Findings).Severity);
        Assert.Equal(Severity.Critical, Assert.Single(inSixWeeks.Findings).Severity);
    }

    [Fact]
    public void Certificate_missing_from_the_reported_list_is_major_drift()
    {
        // Arrange
        var status = new DeviceStatus { Certificates = [new CertificateStatus { Name = "vpn", NotAfter = Now.AddDays(365) }] };

        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(30), status, Now);

        // Assert
        Assert.Equal(
            new DriftFinding("cert:site-wifi", "valid >= 30 days", "(missing)", Severity.Major),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void Certificate_listed_without_an_expiry_is_missing()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(30), HoldingCertificate(notAfter: null), Now);

        // Assert
        Assert.Equal("(missing)", Assert.Single(report.Findings).Actual);
    }

    [Fact]
    public void Certificates_not_reported_are_major_drift()
    {
        // Act
        var report = DriftEvaluator.Evaluate(WithCertificate(30), new DeviceStatus(), Now);

        // Assert
        Assert.Equal(
            new DriftFinding("cert:site-wifi", "valid >= 30 days", DriftEvaluator.NotReported, Severity.Major),
            Assert.Single(report.Findings));
    }

    // ---- battery ---------------------------------------------------------------------------------------

    [Theory]
    [InlineData(79, false)]
    [InlineData(80, true)]
    [InlineData(100, true)]
    public void Battery_health_below_floor_is_drift(int health, bool compliant)
    {
        // Arrange
        var status = new DeviceStatus { Battery = new BatteryStatus { HealthPercent = health } };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { BatteryHealthFloorPercent = 80 }, status, Now);

        // Assert
        Assert.Equal(compliant, report.Compliant);
    }

    [Fact]
    public void Battery_health_below_floor_is_minor_drift()
    {
        // Arrange
        var status = new DeviceStatus { Battery = new BatteryStatus { HealthPercent = 61 } };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { BatteryHealthFloorPercent = 80 }, status, Now);

        // Assert
        Assert.Equal(new DriftFinding("battery.health", ">= 80 %", "61 %", Severity.Minor), Assert.Single(report.Findings));
    }

    [Fact]
    public void Battery_reported_without_health_is_minor_drift()
    {
        // Arrange
        var status = new DeviceStatus { Battery = new BatteryStatus { Level = 55, Charging = true } };

        // Act
        var report = DriftEvaluator.Evaluate(Bare with { BatteryHealthFloorPercent = 80 }, status, Now);

        // Assert
        Assert.Equal(
            new DriftFinding("battery.health", ">= 80 %", DriftEvaluator.NotReported, Severity.Minor),
            Assert.Single(report.Findings));
    }

    [Fact]
    public void Arguments_are_required()
    {
        Assert.Throws<ArgumentNullException>(() => DriftEvaluator.Evaluate(null!, new DeviceStatus(), Now));
        Assert.Throws<ArgumentNullException>(() => DriftEvaluator.Evaluate(Bare, null!, Now));
    }
}
