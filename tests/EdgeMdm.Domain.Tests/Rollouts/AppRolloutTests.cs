using EdgeMdm.Domain.Blueprints;
using EdgeMdm.Domain.Rollouts;

namespace EdgeMdm.Domain.Tests.Rollouts;

/// <summary>A rollout that replaces another: where it starts from, and what a device waiting for its wave is declared.</summary>
public sealed class AppRolloutTests
{
    private const string Scan = "com.acme.scan";

    private static RequiredApp Named(long versionCode, AppRollout? rollout = null) =>
        new(Scan, versionCode, $"{versionCode / 100}.{versionCode % 100}") { Rollout = rollout };

    [Fact]
    public void Replacing_a_settled_version_rolls_from_it_and_keeps_nothing_else()
    {
        var rollout = AppRollout.Replacing(Named(100), RolloutPlan.Default, "r2", targetVersionCode: 200);

        Assert.Equal(("r2", 100L, "1.0"), (rollout.Id, rollout.FromVersionCode, rollout.FromVersionName));
        Assert.Null(rollout.KeptVersions);
    }

    [Fact]
    public void Replacing_a_rollout_under_way_lets_devices_keep_its_from_version_and_the_ones_it_kept()
    {
        var first = AppRollout.Replacing(Named(100), RolloutPlan.Default, "r1", 200);
        var second = AppRollout.Replacing(Named(200, first), RolloutPlan.Default, "r2", 300);
        var third = AppRollout.Replacing(Named(300, second), RolloutPlan.Default, "r3", 400);

        Assert.Equal(200, second.FromVersionCode);
        Assert.Equal([new AppVersion(100, "1.0")], second.KeptVersions);
        Assert.Equal(300, third.FromVersionCode);
        Assert.Equal([new AppVersion(200, "2.0"), new AppVersion(100, "1.0")], third.KeptVersions);
    }

    [Fact]
    public void The_new_target_is_never_a_kept_version()
    {
        // 100 → 200 under way, then central IT goes back to 100: those on 100 are not "kept" on their target.
        var first = AppRollout.Replacing(Named(100), RolloutPlan.Default, "r1", 200);
        var back = AppRollout.Replacing(Named(200, first), RolloutPlan.Default, "r2", 100);

        Assert.Null(back.KeptVersions);
    }

    [Fact]
    public void A_long_chain_remembers_a_bounded_number_of_versions()
    {
        var app = Named(100);
        for (var version = 200L; version <= 2000; version += 100)
            app = Named(version, AppRollout.Replacing(app, RolloutPlan.Default, $"r{version}", version));

        // 2000 rolls from 1900 and keeps the newest others: 1800, 1700, ...
        Assert.Equal(1900, app.Rollout!.FromVersionCode);
        Assert.Equal(AppRollout.MaxKeptVersions, app.Rollout.KeptVersions!.Count);
        Assert.Equal(1800, app.Rollout.KeptVersions[0].VersionCode);
    }

    [Theory]
    [InlineData(100L, 100L)] // runs a version the rollout lets it keep: keeps it
    [InlineData(200L, 200L)] // runs the from version
    [InlineData(null, 200L)] // runs nothing (a new device): the from version
    [InlineData(150L, 200L)] // runs a version nobody rolled out: the from version
    public void A_waiting_device_is_declared_the_version_it_may_keep_else_the_from_version(long? installed, long declared)
    {
        var first = AppRollout.Replacing(Named(100), RolloutPlan.Default, "r1", 200);
        var second = AppRollout.Replacing(Named(200, first), RolloutPlan.Default, "r2", 300);

        Assert.Equal(declared, second.HeldVersionFor(installed)!.VersionCode);
    }

    [Fact]
    public void A_plan_without_a_from_version_holds_nobody()
    {
        Assert.Null(new AppRollout(RolloutPlan.Default).HeldVersionFor(100));
    }
}
