using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;

namespace EdgeMdm.Domain.Tests.Security;

public sealed class DangerousActionsTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 7, 8, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData("wipe", 1, false, DangerousAction.Wipe)]
    [InlineData("wipe", 40, true, DangerousAction.Wipe)]
    [InlineData("lock", 1, false, DangerousAction.None)]
    [InlineData("lock", 2, false, DangerousAction.BulkLock)]
    [InlineData("lock", 1, true, DangerousAction.BulkLock)]
    [InlineData("ring", 30, true, DangerousAction.None)]
    [InlineData("reboot", 1, false, DangerousAction.None)]
    public void Commands_are_classified_by_type_and_how_many_devices_they_reach(string type, int devices, bool toGroup, DangerousAction expected) =>
        Assert.Equal(expected, DangerousActions.OfCommand(type, devices, toGroup));

    [Theory]
    [InlineData(DeviceState.Retired, DangerousAction.Retire)]
    [InlineData(DeviceState.Quarantined, DangerousAction.None)]
    [InlineData(DeviceState.InRepair, DangerousAction.None)]
    [InlineData(DeviceState.Active, DangerousAction.None)]
    public void Only_a_move_to_Retired_is_a_dangerous_transition(DeviceState target, DangerousAction expected) =>
        Assert.Equal(expected, DangerousActions.OfTransition(target));

    [Theory]
    [InlineData(DangerousAction.Wipe, null, true)]
    [InlineData(DangerousAction.Wipe, "   ", true)]
    [InlineData(DangerousAction.Retire, "", true)]
    [InlineData(DangerousAction.BulkLock, "\t", true)]
    [InlineData(DangerousAction.Wipe, "stolen from truck 4", false)]
    [InlineData(DangerousAction.None, null, false)]
    [InlineData(DangerousAction.None, "", false)]
    public void A_dangerous_action_needs_a_reason_that_is_not_blank(DangerousAction action, string? reason, bool refused) =>
        Assert.Equal(refused, DangerousActions.ReasonProblem(action, reason) is not null);

    [Theory]
    [InlineData(DangerousAction.Wipe, 500, false)]
    [InlineData(DangerousAction.Wipe, 501, true)]
    [InlineData(DangerousAction.None, 501, true)]
    public void A_reason_is_bounded_in_length(DangerousAction action, int length, bool refused) =>
        Assert.Equal(refused, DangerousActions.ReasonProblem(action, new string('x', length)) is not null);

    [Theory]
    [InlineData(DangerousAction.Wipe, 5, 5, false)]
    [InlineData(DangerousAction.Wipe, 6, 5, true)]
    [InlineData(DangerousAction.Wipe, 1, 0, true)]
    [InlineData(DangerousAction.Wipe, 1, 1, false)]
    [InlineData(DangerousAction.BulkLock, 500, 0, false)]
    [InlineData(DangerousAction.Retire, 1, 0, false)]
    [InlineData(DangerousAction.None, 99, 0, false)]
    public void Only_a_wipe_of_more_than_the_threshold_waits_for_approval(DangerousAction action, int devices, int threshold, bool waits) =>
        Assert.Equal(waits, DangerousActions.NeedsApproval(action, devices, new DangerousActionPolicy(threshold, TimeSpan.FromHours(1))));

    public static TheoryData<string, bool, ApprovalStatus, int, RefusalKind?, string?> Approvals => new()
    {
        // approver, may act, status, minutes after the request, refusal, its title
        { "supervisor:bea", true, ApprovalStatus.Pending, 10, null, null },
        { "supervisor:bea", true, ApprovalStatus.Pending, 59, null, null },
        { "supervisor:ann", true, ApprovalStatus.Pending, 10, RefusalKind.Forbidden, "Self-approval refused" },
        { "viewer:vic", false, ApprovalStatus.Pending, 10, RefusalKind.Forbidden, "Approver not allowed" },
        { "supervisor:bea", true, ApprovalStatus.Approved, 10, RefusalKind.Conflict, "Already approved" },
        { "supervisor:bea", true, ApprovalStatus.Pending, 60, RefusalKind.Conflict, "Request expired" },
        { "supervisor:bea", true, ApprovalStatus.Pending, 600, RefusalKind.Conflict, "Request expired" },
    };

    [Theory]
    [MemberData(nameof(Approvals))]
    public void An_approval_is_a_second_allowed_person_once_within_the_window(
        string approver, bool mayAct, ApprovalStatus status, int minutesLater, RefusalKind? expected, string? title)
    {
        // Arrange
        var policy = new DangerousActionPolicy(5, TimeSpan.FromMinutes(60));
        var request = new ApprovalRequest("apr-1", DangerousAction.Wipe, "supervisor:ann", DangerousActions.ExpiresAt(Now, policy), status,
            status == ApprovalStatus.Approved ? "supervisor:cid" : null);

        // Act
        var refusal = DangerousActions.ApprovalRefusal(request, approver, mayAct, Now.AddMinutes(minutesLater));

        // Assert
        Assert.Equal(expected, refusal?.Kind);
        Assert.Equal(title, refusal?.Title);
        if (refusal is not null)
            Assert.Equal(DangerousActions.ApprovalProblemType, refusal.Type);
    }

    [Theory]
    [InlineData(5, 60, 0)]
    [InlineData(0, 1, 0)]
    [InlineData(-1, 60, 1)]
    [InlineData(5, 0, 1)]
    [InlineData(5, 20_000, 1)]
    [InlineData(-1, 0, 2)]
    public void Settings_out_of_range_are_named(int threshold, int minutes, int problems)
    {
        // Act
        var found = new DangerousActionPolicy(threshold, TimeSpan.FromMinutes(minutes)).Problems("Edge:DangerousActions");

        // Assert
        Assert.Equal(problems, found.Count);
        Assert.All(found, p => Assert.StartsWith("Edge:DangerousActions:", p, StringComparison.Ordinal));
    }
}
