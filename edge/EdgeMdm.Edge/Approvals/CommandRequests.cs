using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Serialization;
using EdgeMdm.Domain.Audit;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Audit;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Options;
using EdgeMdm.Edge.Storage;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Edge.Approvals;

/// <summary>
/// A command as a person asks for it at the site: for one device (id or serial) or every device of a group, with its
/// parameters, how long it may wait to be delivered, and why.
/// </summary>
public sealed record CommandRequest(string? Device, string? Group, string Type, IReadOnlyDictionary<string, string> Parameters, TimeSpan? ExpiresIn, string? Reason);

/// <summary>What became of a request: its commands queued, or (a wipe over the threshold) the approval it waits for.</summary>
public sealed record CommandRequestOutcome(IReadOnlyList<CommandSummary> Queued, ApprovalView? Pending);

/// <summary>
/// A request waiting for a second person, or approved. <c>Status</c>: Pending, Approved, or Expired (pending past
/// <c>ExpiresAt</c>: it can no longer be approved).
/// </summary>
public sealed record ApprovalView(
    string Id, string Action, string CommandType, string Target, int Devices, string Reason, string RequestedBy, DateTimeOffset RequestedAt,
    DateTimeOffset ExpiresAt, string Status, string? ApprovedBy, DateTimeOffset? ApprovedAt, IReadOnlyList<string> CommandIds);

/// <summary>
/// The way a person sends commands at the site (the supervisor page, <c>edgemdm-edge commands send</c>), with the rules
/// of dangerous actions (<see cref="DangerousActions"/>): a wipe or a bulk lock needs a reason, which travels with the
/// command into the audit trail; a wipe of more than <c>Edge:DangerousActions:WipeApprovalThreshold</c> devices
/// waits for a second person's approval, and approving it queues its commands exactly once.
/// </summary>
public interface ICommandRequests
{
    Task<Outcome<CommandRequestOutcome>> RequestAsync(CommandRequest request, string actor, DateTimeOffset now);

    /// <summary>Requests newest first: the pending ones only, or every one.</summary>
    IReadOnlyList<ApprovalView> List(bool pendingOnly, DateTimeOffset now);

    /// <summary>
    /// Approves request <paramref name="id"/> on behalf of <paramref name="approver"/>, whom <paramref name="mayOrder"/> says
    /// may or may not order the request's action; refused when it is not so (403), by the requester (403), approved
    /// already or expired (409), or unknown (404).
    /// </summary>
    Task<Outcome<ApprovalView>> ApproveAsync(string id, string approver, Func<DangerousAction, bool> mayOrder, DateTimeOffset now);
}

/// <summary>Table <c>approvals</c>; commands through the Commands feature's <see cref="ICommandStore"/> and <see cref="ICommandEnqueuer"/>.</summary>
internal sealed class CommandRequests(
    EdgeStorage storage, IDeviceRegistry devices, ICommandStore commands, ICommandEnqueuer enqueuer, IAuditLog audit,
    IOptions<DangerousActionSettings> options, ILogger<CommandRequests> logger) : ICommandRequests
{
    private const string Select =
        "SELECT id AS Id, action AS Action, command_type AS CommandType, target AS Target, device_ids AS DeviceIds, parameters AS Parameters, " +
        "expires_in_ms AS ExpiresInMs, reason AS Reason, requested_by AS RequestedBy, requested_at AS RequestedAt, expires_at AS ExpiresAt, " +
        "status AS Status, approved_by AS ApprovedBy, approved_at AS ApprovedAt, command_ids AS CommandIds FROM approvals";

    public async Task<Outcome<CommandRequestOutcome>> RequestAsync(CommandRequest request, string actor, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(request);
        var toGroup = request.Group is not null;
        // A single lock is not bulk; a group's size is known only inside the writer, so a group is judged as bulk.
        var action = DangerousActions.OfCommand(request.Type, 1, toGroup);
        if (DangerousActions.ReasonRefusal(action, request.Reason) is { } invalid)
            return invalid;
        var parameters = WithReason(request.Parameters, request.Reason);
        var policy = options.Value.Policy;
        if (!toGroup && !DangerousActions.NeedsApproval(action, 1, policy))
        {
            var one = await commands.QueueCommandAsync(request.Device!, request.Type, parameters, now + request.ExpiresIn, actor, now);
            return one.Value is { } queued ? new CommandRequestOutcome([queued], null) : one.Refusal!;
        }

        return await storage.WriteAsync<Outcome<CommandRequestOutcome>>(unit =>
        {
            var (targets, refusal) = Targets(unit, request);
            if (refusal is not null)
                return refusal;
            if (!DangerousActions.NeedsApproval(action, targets.Count, policy))
                return new CommandRequestOutcome(targets.Select(id => enqueuer.Queue(unit, id, request.Type, parameters, now + request.ExpiresIn, actor, now)).ToList(), null);
            return new CommandRequestOutcome([], Store(unit, request, action, targets, parameters, actor, now, policy));
        });
    }

    /// <summary>The devices a request reaches that take its type now: the group's, or the one device (refused when it does not).</summary>
    private (IReadOnlyList<string> Ids, Refusal? Refusal) Targets(UnitOfWork unit, CommandRequest request)
    {
        if (request.Group is { } group)
            return (devices.InGroup(unit, group).Where(m => DeviceAccess.TakesCommand(m.State, request.Type)).Select(m => m.DeviceId).ToList(), null);
        if (devices.Find(unit, request.Device!) is not { } device)
            return ([], new Refusal(RefusalKind.NotFound, "Unknown device", $"no device {request.Device} at this site"));
        return DeviceAccess.TakesCommand(device.State, request.Type)
            ? ([device.Id], null)
            : ([], new Refusal(RefusalKind.Conflict, "Command not taken", $"device {device.Serial} is {device.State} and takes no {request.Type} command now"));
    }

    private ApprovalView Store(
        UnitOfWork unit, CommandRequest request, DangerousAction action, IReadOnlyList<string> targets, IReadOnlyDictionary<string, string> parameters,
        string actor, DateTimeOffset now, DangerousActionPolicy policy)
    {
        var id = "apr-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(6));
        var target = request.Group is { } group ? "group " + group : request.Device!;
        var reason = request.Reason!.Trim();
        var expiresAt = DangerousActions.ExpiresAt(now, policy);
        unit.Db.Execute(
            "INSERT INTO approvals (id, action, command_type, target, device_ids, parameters, expires_in_ms, reason, requested_by, requested_at, expires_at, status) " +
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'Pending')",
            id, action.ToString(), request.Type, target, JsonSerializer.Serialize(targets, ApprovalsJson.Default.IReadOnlyListString),
            JsonSerializer.Serialize(parameters, ApprovalsJson.Default.IReadOnlyDictionaryStringString),
            request.ExpiresIn is { } window ? (long)window.TotalMilliseconds : null, reason, actor, now.ToUnixTimeMilliseconds(), expiresAt.ToUnixTimeMilliseconds());
        audit.Record(unit, new AuditEntry(actor, AuditActions.ApprovalRequested, id,
            Detail: $"{request.Type} of {Count(targets.Count)} ({target}) waits for a second person until {expiresAt.ToString("u", CultureInfo.InvariantCulture)}: {reason}"), now);
        ApprovalLog.Requested(logger, id, actor, request.Type, targets.Count, target, expiresAt);
        return new ApprovalView(id, action.ToString(), request.Type, target, targets.Count, reason, actor, now, expiresAt, nameof(ApprovalStatus.Pending), null, null, []);
    }

    public IReadOnlyList<ApprovalView> List(bool pendingOnly, DateTimeOffset now) =>
        storage.Read(db => pendingOnly
                ? db.Query<ApprovalRow>(Select + " WHERE status = 'Pending' AND expires_at > ? ORDER BY requested_at DESC LIMIT 200", now.ToUnixTimeMilliseconds())
                : db.Query<ApprovalRow>(Select + " ORDER BY requested_at DESC LIMIT 200"))
            .Select(row => row.ToView(now)).ToList();

    public async Task<Outcome<ApprovalView>> ApproveAsync(string id, string approver, Func<DangerousAction, bool> mayOrder, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(mayOrder);
        var outcome = await storage.WriteAsync<Outcome<ApprovalView>>(unit =>
        {
            if (unit.Db.Query<ApprovalRow>(Select + " WHERE id = ?", id).FirstOrDefault() is not { } row)
                return new Refusal(RefusalKind.NotFound, "Unknown approval request", $"no approval request {id} at this site");
            var request = row.ToRequest();
            if (DangerousActions.ApprovalRefusal(request, approver, mayOrder(request.Action), now) is { } refusal)
                return refusal;
            return Grant(unit, row, approver, now);
        });
        if (outcome.Refusal is { } refused)
            ApprovalLog.Refused(logger, id, approver, refused.Detail);
        return outcome;
    }

    /// <summary>Queues the request's commands for its devices that still take them, marks it approved, and records both in the trail.</summary>
    private ApprovalView Grant(UnitOfWork unit, ApprovalRow row, string approver, DateTimeOffset now)
    {
        var parameters = JsonSerializer.Deserialize(row.Parameters, ApprovalsJson.Default.IReadOnlyDictionaryStringString) ?? new Dictionary<string, string>(StringComparer.Ordinal);
        DateTimeOffset? expiresAt = row.ExpiresInMs is { } ms ? now.AddMilliseconds(ms) : null;
        var queued = new List<string>();
        foreach (var deviceId in JsonSerializer.Deserialize(row.DeviceIds, ApprovalsJson.Default.IReadOnlyListString) ?? [])
        {
            // A device retired (or gone) since the request takes nothing: the approval queues what can still run.
            if (devices.Find(unit, deviceId) is { } device && DeviceAccess.TakesCommand(device.State, row.CommandType))
                queued.Add(enqueuer.Queue(unit, device.Id, row.CommandType, parameters, expiresAt, row.RequestedBy, now).CommandId);
        }

        // The status condition makes the update the one that counts: a second approval finds the row approved (above).
        unit.Db.Execute(
            "UPDATE approvals SET status = 'Approved', approved_by = ?, approved_at = ?, command_ids = ? WHERE id = ? AND status = 'Pending'",
            approver, now.ToUnixTimeMilliseconds(), JsonSerializer.Serialize(queued, ApprovalsJson.Default.IReadOnlyListString), row.Id);
        audit.Record(unit, new AuditEntry(approver, AuditActions.ApprovalGranted, row.Id,
            Detail: $"{row.CommandType} of {Count(queued.Count)} ({row.Target}) requested by {row.RequestedBy}: {row.Reason}"), now);
        ApprovalLog.Granted(logger, row.Id, approver, queued.Count, row.CommandType);
        return (row with { Status = nameof(ApprovalStatus.Approved), ApprovedBy = approver, ApprovedAt = now.ToUnixTimeMilliseconds(), CommandIds = JsonSerializer.Serialize(queued, ApprovalsJson.Default.IReadOnlyListString) }).ToView(now);
    }

    /// <summary>The parameters with the reason among them: it travels with the command to the device, the hub and the trail.</summary>
    private static IReadOnlyDictionary<string, string> WithReason(IReadOnlyDictionary<string, string> parameters, string? reason)
    {
        if (string.IsNullOrWhiteSpace(reason))
            return parameters;
        return new Dictionary<string, string>(parameters, StringComparer.Ordinal) { ["reason"] = reason.Trim() };
    }

    private static string Count(int devices) => devices == 1 ? "1 device" : devices.ToString(CultureInfo.InvariantCulture) + " devices";
}

internal sealed record ApprovalRow
{
    public string Id { get; set; } = "";

    public string Action { get; set; } = "";

    public string CommandType { get; set; } = "";

    public string Target { get; set; } = "";

    public string DeviceIds { get; set; } = "[]";

    public string Parameters { get; set; } = "{}";

    public long? ExpiresInMs { get; set; }

    public string Reason { get; set; } = "";

    public string RequestedBy { get; set; } = "";

    public long RequestedAt { get; set; }

    public long ExpiresAt { get; set; }

    public string Status { get; set; } = "";

    public string? ApprovedBy { get; set; }

    public long? ApprovedAt { get; set; }

    public string? CommandIds { get; set; }

    public ApprovalRequest ToRequest() => new(
        Id, Enum.Parse<DangerousAction>(Action), RequestedBy, DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt), Enum.Parse<ApprovalStatus>(Status), ApprovedBy);

    public ApprovalView ToView(DateTimeOffset now)
    {
        var expiresAt = DateTimeOffset.FromUnixTimeMilliseconds(ExpiresAt);
        var status = string.Equals(Status, nameof(ApprovalStatus.Pending), StringComparison.Ordinal) && now >= expiresAt ? "Expired" : Status;
        var devices = JsonSerializer.Deserialize(DeviceIds, ApprovalsJson.Default.IReadOnlyListString)?.Count ?? 0;
        return new ApprovalView(
            Id, Action, CommandType, Target, devices, Reason, RequestedBy, DateTimeOffset.FromUnixTimeMilliseconds(RequestedAt), expiresAt, status, ApprovedBy,
            ApprovedAt is { } at ? DateTimeOffset.FromUnixTimeMilliseconds(at) : null,
            CommandIds is null ? [] : JsonSerializer.Deserialize(CommandIds, ApprovalsJson.Default.IReadOnlyListString) ?? []);
    }
}

[JsonSerializable(typeof(IReadOnlyList<string>))]
[JsonSerializable(typeof(IReadOnlyDictionary<string, string>))]
internal sealed partial class ApprovalsJson : JsonSerializerContext;

public static class ApprovalRegistration
{
    public static IServiceCollection AddApprovals(this IServiceCollection services) =>
        services.AddValidatedOptions<DangerousActionSettings, DangerousActionOptionsValidator>(DangerousActionOptions.Section)
            .AddSingleton<ICommandRequests, CommandRequests>();
}
