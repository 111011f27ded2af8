using System.Globalization;
using EdgeMdm.Domain.Outcomes;

namespace EdgeMdm.Domain.Security;

/// <summary>The actions that end or freeze a device's working life, and so need a reason (issue 27, "Dangerous actions").</summary>
public enum DangerousAction
{
    /// <summary>Not dangerous: no reason needed (a reason may still be given).</summary>
    None,

    /// <summary>A wipe command, to one device or many.</summary>
    Wipe,

    /// <summary>A device moved to Retired (final).</summary>
    Retire,

    /// <summary>A lock sent to more than one device in one request (a group).</summary>
    BulkLock,
}

/// <summary>
/// The settings of the rule: a wipe of more than <paramref name="WipeApprovalThreshold"/> devices in one request waits
/// for a second person's approval (0: every wipe does), who has <paramref name="ApprovalWindow"/> from the request to
/// give it.
/// </summary>
public sealed record DangerousActionPolicy(int WipeApprovalThreshold, TimeSpan ApprovalWindow)
{
    public const int DefaultWipeApprovalThreshold = 5;

    public static TimeSpan DefaultApprovalWindow { get; } = TimeSpan.FromMinutes(60);

    public static DangerousActionPolicy Default { get; } = new(DefaultWipeApprovalThreshold, DefaultApprovalWindow);

    /// <summary>Why these settings cannot be used (each problem names the setting under <paramref name="section"/>), or none.</summary>
    public IReadOnlyList<string> Problems(string section)
    {
        var problems = new List<string>();
        if (WipeApprovalThreshold is < 0 or > DangerousActions.MaxWipeApprovalThreshold)
            problems.Add($"{section}:WipeApprovalThreshold must be 0 to {DangerousActions.MaxWipeApprovalThreshold.ToString(CultureInfo.InvariantCulture)}, not {WipeApprovalThreshold.ToString(CultureInfo.InvariantCulture)}");
        if (ApprovalWindow < TimeSpan.FromMinutes(1) || ApprovalWindow > DangerousActions.MaxApprovalWindow)
            problems.Add($"{section}:ApprovalMinutes must be 1 to {DangerousActions.MaxApprovalWindow.TotalMinutes.ToString(CultureInfo.InvariantCulture)}, not {ApprovalWindow.TotalMinutes.ToString(CultureInfo.InvariantCulture)}");
        return problems;
    }
}

/// <summary>
/// The settings as an options class binds them (the appliance's <c>Edge:DangerousActions</c>, the hub's
/// <c>Cloud:DangerousActions</c>): whole minutes, as people write them.
/// </summary>
public sealed class DangerousActionSettings
{
    /// <summary>A wipe of more devices than this in one request waits for a second person's approval (5 by default; 0: every wipe).</summary>
    public int WipeApprovalThreshold { get; set; } = DangerousActionPolicy.DefaultWipeApprovalThreshold;

    /// <summary>How long a waiting request may be approved, in minutes (60 by default).</summary>
    public int ApprovalMinutes { get; set; } = (int)DangerousActionPolicy.DefaultApprovalWindow.TotalMinutes;

    public DangerousActionPolicy Policy => new(WipeApprovalThreshold, TimeSpan.FromMinutes(ApprovalMinutes));
}

/// <summary>Where an approval request stands.</summary>
public enum ApprovalStatus
{
    Pending,
    Approved,
}

/// <summary>A request waiting for (or given) a second person's approval, as the rule needs to judge an approval.</summary>
/// <param name="RequestedBy">The requester's actor name (<c>site-user:sam</c>, <c>operator:ann</c>, a hub account); never the approver.</param>
public sealed record ApprovalRequest(string Id, DangerousAction Action, string RequestedBy, DateTimeOffset ExpiresAt, ApprovalStatus Status, string? ApprovedBy);

/// <summary>
/// The rules of dangerous actions, pure, the same at the site and at the hub: which requests are dangerous, that they
/// carry a reason, which wipes wait for a second person, and who may approve one and until when.
/// </summary>
public static class DangerousActions
{
    /// <summary>The longest reason kept; a longer one is refused, not cut (it is what the audit trail says).</summary>
    public const int MaxReasonLength = 500;

    public const int MaxWipeApprovalThreshold = 100_000;

    /// <summary>The command types the rule knows (the device protocol's names).</summary>
    public const string WipeCommand = "wipe";

    public const string LockCommand = "lock";

    /// <summary>The problem type of a refused approval, so a client can tell it from other conflicts.</summary>
    public const string ApprovalProblemType = "https://edgemdm.dev/problems/approval";

    /// <summary>The problem type of a missing or too long reason (<see cref="ReasonRefusal"/>).</summary>
    public const string ReasonProblemType = "https://edgemdm.dev/problems/reason";

    public static TimeSpan MaxApprovalWindow { get; } = TimeSpan.FromDays(7);

    /// <summary>What a command of <paramref name="type"/> sent to <paramref name="devices"/> devices in one request is.</summary>
    /// <param name="toGroup">Sent to a group: a lock to a group is bulk even when the group has one device today.</param>
    public static DangerousAction OfCommand(string type, int devices, bool toGroup) => type switch
    {
        WipeCommand => DangerousAction.Wipe,
        LockCommand when toGroup || devices > 1 => DangerousAction.BulkLock,
        _ => DangerousAction.None,
    };

    /// <summary>What a move to <paramref name="target"/> is: to Retired, a retirement.</summary>
    public static DangerousAction OfTransition(Lifecycle.DeviceState target) =>
        target == Lifecycle.DeviceState.Retired ? DangerousAction.Retire : DangerousAction.None;

    /// <summary>
    /// What is wrong with <paramref name="reason"/> for <paramref name="action"/>, or null when it will do: a dangerous
    /// action needs one that is not blank; any reason is at most <see cref="MaxReasonLength"/> characters.
    /// </summary>
    public static string? ReasonProblem(DangerousAction action, string? reason)
    {
        var trimmed = reason?.Trim() ?? "";
        if (trimmed.Length > MaxReasonLength)
            return $"may be at most {MaxReasonLength.ToString(CultureInfo.InvariantCulture)} characters";
        return action != DangerousAction.None && trimmed.Length == 0
            ? $"is required for {Describe(action)}: it goes into the audit trail"
            : null;
    }

    /// <summary>
    /// <see cref="ReasonProblem"/> as a refusal whose <see cref="Refusal.Type"/> is <see cref="ReasonProblemType"/> and
    /// whose detail starts with the field's name, <c>reason</c>: an HTTP surface answers it 400 naming the field, a CLI
    /// as its <c>--reason</c> option.
    /// </summary>
    public static Refusal? ReasonRefusal(DangerousAction action, string? reason) =>
        ReasonProblem(action, reason) is { } problem
            ? new Refusal(RefusalKind.Unprocessable, "Invalid reason", "reason " + problem) { Type = ReasonProblemType }
            : null;

    /// <summary>Whether the request waits for a second person: a wipe of more than the threshold's devices.</summary>
    public static bool NeedsApproval(DangerousAction action, int devices, DangerousActionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return action == DangerousAction.Wipe && devices > policy.WipeApprovalThreshold;
    }

    /// <summary>Until when a request made at <paramref name="requestedAt"/> may be approved (excluded).</summary>
    public static DateTimeOffset ExpiresAt(DateTimeOffset requestedAt, DangerousActionPolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return requestedAt + policy.ApprovalWindow;
    }

    /// <summary>
    /// Why <paramref name="approver"/> may not approve <paramref name="request"/> at <paramref name="now"/>, or null when
    /// they may. Checked in this order: the role (403: an approver must be allowed to do the action), a second person
    /// (403: never the requester), the request still open (409: approved once only) and in its window (409: expired).
    /// </summary>
    /// <param name="approverMayAct">Whether the approver holds a role that may do the action itself.</param>
    public static Refusal? ApprovalRefusal(ApprovalRequest request, string approver, bool approverMayAct, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!approverMayAct)
            return Refused(RefusalKind.Forbidden, "Approver not allowed", $"{approver} holds no role that may order {Describe(request.Action)}, so may not approve request {request.Id}");
        if (string.Equals(approver, request.RequestedBy, StringComparison.Ordinal))
            return Refused(RefusalKind.Forbidden, "Self-approval refused", $"request {request.Id} was made by {approver}: a second person must approve it");
        if (request.Status == ApprovalStatus.Approved)
            return Refused(RefusalKind.Conflict, "Already approved", $"request {request.Id} was already approved by {request.ApprovedBy}; its commands are queued");
        if (now >= request.ExpiresAt)
            return Refused(RefusalKind.Conflict, "Request expired", $"request {request.Id} expired at {request.ExpiresAt.ToString("u", CultureInfo.InvariantCulture)}; make the request again");
        return null;
    }

    /// <summary>The action in words, for reasons and refusals.</summary>
    public static string Describe(DangerousAction action) => action switch
    {
        DangerousAction.Wipe => "a wipe",
        DangerousAction.Retire => "retiring a device",
        DangerousAction.BulkLock => "a lock of several devices",
        _ => "this action",
    };

    private static Refusal Refused(RefusalKind kind, string title, string detail) => new(kind, title, detail) { Type = ApprovalProblemType };
}
