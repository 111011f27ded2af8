using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Drift;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Drift;

public sealed class AppVersionsTests
{
    private static InstalledApp App(string name, long code) => new() { PackageName = name, VersionCode = code };

    [Fact]
    public void Versions_are_counted_once_per_device_per_site_and_one_no_blueprint_requires_is_stale()
    {
        // Arrange: pickers want 120; a device lists the scanner twice (counted once)
        Blueprint[] blueprints = [Blueprint.Empty("pickers") with { Apps = [new RequiredApp("com.acme.scan", 120, "1.2")] }];
        (string, IReadOnlyList<InstalledApp>?)[] devices =
        [
            ("lyon", [App("com.acme.scan", 120)]),
            ("lyon", [App("com.acme.scan", 100), App("com.acme.scan", 100)]),
            ("leipzig", [App("com.acme.scan", 100), App("com.other", 1)]),
            ("leipzig", null),
        ];

        // Act
        var spread = AppVersions.Spread(AppVersions.Count(devices, blueprints));

        // Assert
        var scan = Assert.Single(spread, a => string.Equals(a.PackageName, "com.acme.scan", StringComparison.Ordinal));
        Assert.Equal([(120L, 1, "required"), (100L, 2, "stale")], scan.Versions.Select(v => (v.VersionCode, v.Devices, scan.StatusOf(v))));
        Assert.Equal(("1.2", 2), (scan.Versions[0].VersionName, scan.StaleDevices));
        Assert.Equal(new Dictionary<string, int>(StringComparer.Ordinal) { ["leipzig"] = 1, ["lyon"] = 1 }, scan.Versions[1].Sites);
        var other = Assert.Single(spread, a => string.Equals(a.PackageName, "com.other", StringComparison.Ordinal));
        Assert.Equal("not managed", other.StatusOf(other.Versions[0]));
    }

    [Fact]
    public void A_staged_rollout_s_from_version_is_required_and_a_plan_alone_is_not_a_rollout()
    {
        // Arrange
        var staged = new RequiredApp("com.acme.scan", 120, "1.2") { Rollout = new AppRollout(RolloutPlan.Default) { Id = "r1", FromVersionCode = 100 } };
        var planOnly = new RequiredApp("com.acme.label", 7, "0.7") { Rollout = new AppRollout(RolloutPlan.Default) { FromVersionCode = 6 } };

        // Act
        var required = AppVersions.Required([Blueprint.Empty("pickers") with { Apps = [staged, planOnly] }]).ToList();

        // Assert
        Assert.Equal([("com.acme.scan", 120L), ("com.acme.scan", 100L), ("com.acme.label", 7L)], required);
    }
}
