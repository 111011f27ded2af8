using EdgeMdm.Domain.Lifecycle;
using static EdgeMdm.Domain.Lifecycle.DeviceState;
using static EdgeMdm.Domain.Lifecycle.ReenrollmentVerdict;

namespace EdgeMdm.Domain.Tests.Lifecycle;

public sealed class ReenrollmentTests
{
    private static readonly ReenrollmentProof TokenOnly = new(PresentsCurrentSecret: false, HasOperatorAllowance: false);
    private static readonly ReenrollmentProof Secret = new(PresentsCurrentSecret: true, HasOperatorAllowance: false);
    private static readonly ReenrollmentProof Allowance = new(PresentsCurrentSecret: false, HasOperatorAllowance: true);
    private static readonly ReenrollmentProof Both = new(PresentsCurrentSecret: true, HasOperatorAllowance: true);

    /// <summary>The table of the class comment, written out by hand: state × what the caller brings → verdict.</summary>
    public static TheoryData<DeviceState, ReenrollmentProof, ReenrollmentVerdict> Table() => new()
    {
        { Enrolling, TokenOnly, TokenSuffices },
        { DeviceState.Staging, TokenOnly, TokenSuffices },
        { DeviceState.Staging, Secret, TokenSuffices },
        { InRepair, TokenOnly, TokenSuffices },
        { InRepair, Allowance, TokenSuffices },
        { Active, TokenOnly, NeedsSecretOrAllowance },
        { Active, Secret, CurrentSecret },
        { Active, Allowance, OperatorAllowance },
        { Active, Both, CurrentSecret },
        { Quarantined, TokenOnly, NeedsAllowance },
        { Quarantined, Secret, NeedsAllowance },
        { Quarantined, Allowance, OperatorAllowance },
        { Quarantined, Both, OperatorAllowance },
        { Retired, TokenOnly, Final },
        { Retired, Secret, Final },
        { Retired, Allowance, Final },
        { Retired, Both, Final },
    };

    [Theory]
    [MemberData(nameof(Table))]
    public void Verdict_follows_the_documented_table(DeviceState state, ReenrollmentProof proof, ReenrollmentVerdict expected)
    {
        Assert.Equal(expected, Reenrollment.Decide(state, proof));
    }

    [Theory]
    [InlineData(TokenSuffices, true)]
    [InlineData(CurrentSecret, true)]
    [InlineData(OperatorAllowance, true)]
    [InlineData(NeedsSecretOrAllowance, false)]
    [InlineData(NeedsAllowance, false)]
    [InlineData(Final, false)]
    public void Only_the_three_grounds_allow(ReenrollmentVerdict verdict, bool allowed)
    {
        Assert.Equal(allowed, verdict.IsAllowed());
    }

    [Fact]
    public void An_allowed_verdict_is_always_a_move_the_lifecycle_allows()
    {
        foreach (var state in Enum.GetValues<DeviceState>().Where(s => s != Enrolling))
        {
            // Arrange / Act
            var allowed = new[] { TokenOnly, Secret, Allowance, Both }.Any(proof => Reenrollment.Decide(state, proof).IsAllowed());

            // Assert: the rule never lets through what the state machine would refuse (Retired above all).
            Assert.Equal(DeviceLifecycle.CanTransition(state, Enrolling), allowed);
        }
    }

    [Theory]
    [InlineData(Enrolling, false)]
    [InlineData(DeviceState.Staging, false)]
    [InlineData(Active, true)]
    [InlineData(Quarantined, true)]
    [InlineData(InRepair, false)]
    [InlineData(Retired, false)]
    public void An_allowance_applies_only_where_the_token_alone_is_not_enough_and_the_state_is_not_final(DeviceState state, bool applies)
    {
        Assert.Equal(applies, Reenrollment.AllowanceApplies(state));
    }

    [Fact]
    public void Operators_never_move_a_device_to_enrolling_by_hand()
    {
        foreach (var state in Enum.GetValues<DeviceState>())
        {
            // Arrange
            var expected = DeviceLifecycle.AllowedTargets(state).Where(t => t != Enrolling);

            // Act
            var targets = DeviceLifecycle.OperatorTargets(state);

            // Assert
            Assert.Equal(expected, targets);
        }
    }
}
