using EdgeMdm.Domain.Blueprints;

namespace EdgeMdm.Cli.Tests;

public sealed class BlueprintPlanTests
{
    private static readonly Blueprint Pickers = new(
        "pickers",
        [new RequiredApp("com.a", 100, "1.0"), new RequiredApp("com.b", 5, "5")],
        new OsFloor("13", new DateOnly(2026, 6, 1)),
        [new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "A" })],
        [new CertificateRule("site-wifi", 30)],
        75);

    [Fact]
    public void Same_content_in_another_order_is_no_change()
    {
        // Arrange
        var reordered = Pickers with { Apps = [.. Pickers.Apps.Reverse()] };

        // Act
        var changes = BlueprintPlan.Compare([reordered], [Pickers]);

        // Assert
        Assert.Empty(changes);
    }

    [Fact]
    public void Every_field_change_is_described()
    {
        // Arrange
        var changed = Pickers with
        {
            Apps = [new RequiredApp("com.a", 120, "1.2"), new RequiredApp("com.c", 1, "1")],
            Os = new OsFloor("14", null),
            Configurations = [new ConfigurationPayload("wifi", new Dictionary<string, string>(StringComparer.Ordinal) { ["ssid"] = "B" })],
            Certificates = [new CertificateRule("site-wifi", 60)],
            BatteryHealthFloorPercent = null,
        };

        // Act
        var change = Assert.Single(BlueprintPlan.Compare([changed], [Pickers]));

        // Assert
        Assert.Equal(ChangeKind.Update, change.Kind);
        Assert.Equal(
            [
                "apps com.a 100 (1.0) → 120 (1.2)",
                "apps -com.b",
                "apps +com.c 1",
                "os.minVersion 13 → 14",
                "os.minSecurityPatch 2026-06-01 → none",
                "configurations wifi changed",
                "certificates site-wifi minDaysValid 30 → 60",
                "batteryHealthFloorPercent 75 → none",
            ],
            change.Details);
        Assert.StartsWith("~ group pickers: apps com.a 100 (1.0) → 120 (1.2); apps -com.b", change.Line, StringComparison.Ordinal);
    }

    [Fact]
    public void Groups_only_on_the_hub_are_deleted_and_new_ones_created()
    {
        // Act
        var changes = BlueprintPlan.Compare([Blueprint.Empty("new")], [Pickers]);

        // Assert
        Assert.Equal(["+ group new (new)", "- group pickers (deleted)"], changes.Select(c => c.Line));
    }
}
