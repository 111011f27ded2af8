using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Spares;

namespace EdgeMdm.Domain.Tests.Spares;

public sealed class SpareClassifierTests
{
    public static TheoryData<DeviceState, bool, bool, int?, SpareState> Table => new()
    {
        { DeviceState.Retired, true, false, 100, SpareState.Retired },
        { DeviceState.Retired, false, true, null, SpareState.Retired },
        { DeviceState.Quarantined, true, false, 100, SpareState.InRepair },
        { DeviceState.InRepair, true, true, 100, SpareState.InRepair },
        { DeviceState.Enrolling, true, false, 100, SpareState.Staging },
        { DeviceState.Staging, true, false, 100, SpareState.Staging },
        { DeviceState.Active, false, false, 100, SpareState.Staging },
        { DeviceState.Active, false, true, 100, SpareState.Staging },
        { DeviceState.Active, true, true, 100, SpareState.Assigned },
        { DeviceState.Active, true, true, 5, SpareState.Assigned },
        { DeviceState.Active, true, false, 79, SpareState.Charging },
        { DeviceState.Active, true, false, null, SpareState.Charging },
        { DeviceState.Active, true, false, 80, SpareState.Ready },
        { DeviceState.Active, true, false, 100, SpareState.Ready },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void A_member_is_classified_by_the_first_rule_that_holds(DeviceState state, bool compliant, bool assigned, int? charge, SpareState expected) =>
        Assert.Equal(expected, SpareClassifier.Classify(new SpareFacts(state, compliant, assigned, charge), 80));

    [Fact]
    public void The_threshold_is_the_sites()
    {
        var facts = new SpareFacts(DeviceState.Active, true, false, 60);
        Assert.Equal((SpareState.Charging, SpareState.Ready), (SpareClassifier.Classify(facts, 61), SpareClassifier.Classify(facts, 60)));
    }

    [Fact]
    public void The_best_spare_is_Ready_then_highest_charge_then_compliant_then_newest_check_in()
    {
        var t = new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero);
        SpareCandidate[] candidates =
        [
            new("a", "SN-A", SpareState.Charging, 100, true, t),
            new("b", "SN-B", SpareState.Ready, 90, true, t),
            new("c", "SN-C", SpareState.Ready, 95, true, t.AddMinutes(-5)),
            new("d", "SN-D", SpareState.Ready, 95, true, t),
            new("e", "SN-E", SpareState.Assigned, 100, true, t),
        ];

        Assert.Equal("d", SpareClassifier.Best(candidates)?.DeviceId);
        Assert.Null(SpareClassifier.Best(candidates.Where(c => c.State != SpareState.Ready)));
    }
}
