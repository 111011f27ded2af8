using System.Globalization;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Security;
using EdgeMdm.ServiceDefaults;
using Microsoft.Extensions.Options;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>
/// Sending central IT's commands, as <c>POST /api/v1/commands</c> and the console's device page both do: the same
/// checks, the same store call and the same log line. A <c>type</c> the device agent does not know is refused (422)
/// before anything is queued; <c>clear-app-data</c> needs its <c>packageName</c> parameter (the agent fails it without).
/// </summary>
public sealed class CommandSender(
    ICommandStore commands, IFleetReadStore fleet, ISiteRegistry sites, IApprovalStore approvals, IOptions<DangerousActionSettings> dangerous,
    TimeProvider time, ILogger<CommandSender> log)
{
    /// <summary>The parameters each command type needs (the agent refuses it without them), by type.</summary>
    public static IReadOnlyDictionary<string, IReadOnlyList<string>> RequiredParameters { get; } =
        new Dictionary<string, IReadOnlyList<string>>(StringComparer.Ordinal) { [DeviceCommandTypes.ClearAppData] = ["packageName"] };

    /// <summary>
    /// Queues <paramref name="body"/> for one device (<c>DeviceId</c>, its id or serial; <c>SiteId</c> may be left out
    /// when the hub knows the device at exactly one site) on behalf of <paramref name="createdBy"/>: the command queued,
    /// the approval it waits for (a wipe when every wipe needs one), or the refusal as the REST API answers it (problem
    /// details: 422 unknown type, 400 invalid fields and a dangerous action without a reason, 404, 409).
    /// </summary>
    /// <param name="requester">The person asking (<c>account:ana</c>, <c>token:ci</c>), the same whatever surface they use: never their approver.</param>
    public async Task<CommandSent> SendAsync(string tenantId, string createdBy, string requester, QueueCommandRequest body, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var (parameters, refusal) = await CheckAsync(tenantId, body, cancellationToken);
        if (refusal is not null)
            return new CommandSent(null, null, refusal);
        if (body.Group is not null)
            return new CommandSent(null, null, ProblemResults.Invalid("group", "this sends to one device: give deviceId, not group"));

        // With a site, a device the hub has not heard of yet is queued as given (the site knows it, or drops the command).
        var (target, unresolved) = await DeviceApi.ResolveAsync(fleet, tenantId, body.DeviceId!, body.SiteId, unknownAtSiteIsKept: true, cancellationToken);
        if (unresolved is not null)
            return new CommandSent(null, null, unresolved);
        var (siteId, deviceId) = target is null ? (body.SiteId!, body.DeviceId!) : (target.SiteId, target.DeviceId);
        var reason = body.Reason?.Trim() ?? "";
        var action = DangerousActions.OfCommand(body.Type!, 1, toGroup: false);
        try
        {
            if (DangerousActions.NeedsApproval(action, 1, dangerous.Value.Policy))
                return new CommandSent(null, await HoldAsync(tenantId, requester, body, action, deviceId, [new CommandTarget(siteId, deviceId)], parameters!, cancellationToken), null);
            var commandId = await commands.QueueCommandAsync(tenantId, siteId, deviceId, body.Type!, parameters!, ExpiresAt(body), createdBy, reason, cancellationToken);
            FleetLog.CommandSent(log, commandId, body.Type!, deviceId, siteId, createdBy, reason);
            return new CommandSent(new CommandQueued(commandId, siteId) { DeviceId = deviceId }, null, null);
        }
        catch (StoreConflictException)
        {
            return new CommandSent(null, null, ProblemResults.Invalid("siteId", $"no site '{body.SiteId}'"));
        }
    }

    /// <summary>
    /// Queues <paramref name="body"/> for every non-retired device of its <c>Group</c> the hub knows (across sites, or in
    /// <c>SiteId</c>): the answer of <c>POST /api/v1/commands</c> for a group (201, 202 when a wipe over the threshold
    /// waits for a second person, 404 when there is none, or a refusal).
    /// </summary>
    internal async Task<IResult> SendToGroupAsync(string tenantId, string createdBy, string requester, QueueCommandRequest body, CancellationToken cancellationToken)
    {
        var (parameters, refusal) = await CheckAsync(tenantId, body, cancellationToken);
        if (refusal is not null)
            return refusal;
        var devices = await fleet.ListGroupAsync(tenantId, body.Group!, body.SiteId, cancellationToken);
        if (devices.Count == 0)
        {
            return Problems.NotFound(body.SiteId is null
                ? $"the hub knows no device of group '{body.Group}' that is not retired"
                : $"the hub knows no device of group '{body.Group}' at site '{body.SiteId}' that is not retired");
        }

        var reason = body.Reason?.Trim() ?? "";
        var targets = devices.Select(d => new CommandTarget(d.SiteId, d.DeviceId)).ToList();
        var action = DangerousActions.OfCommand(body.Type!, targets.Count, toGroup: true);
        try
        {
            if (DangerousActions.NeedsApproval(action, targets.Count, dangerous.Value.Policy))
                return Pending(await HoldAsync(tenantId, requester, body, action, "group " + body.Group, targets, parameters!, cancellationToken));
            var ids = await commands.QueueCommandsAsync(tenantId, targets, body.Type!, parameters!, ExpiresAt(body), createdBy, reason, cancellationToken);
            FleetLog.GroupCommandSent(log, body.Type!, ids.Count, body.Group!, createdBy, reason);
            return TypedResults.Json(new CommandsQueued(body.Group!, ids, targets), ApiJson.Default.CommandsQueued, statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException)
        {
            return ProblemResults.Invalid("siteId", $"no site '{body.SiteId}'");
        }
    }

    /// <summary>202 with the approval request a command waits for.</summary>
    internal static IResult Pending(ApprovalRecord approval) =>
        TypedResults.Json(approval, ApiJson.Default.ApprovalRecord, statusCode: StatusCodes.Status202Accepted);

    /// <summary>Stores the request for a second person instead of queuing it, and logs it.</summary>
    private async Task<ApprovalRecord> HoldAsync(
        string tenantId, string requester, QueueCommandRequest body, DangerousAction action, string target, IReadOnlyList<CommandTarget> targets,
        IReadOnlyDictionary<string, string> parameters, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var draft = new ApprovalDraft(
            action, body.Type!, target, targets, parameters, body.ExpiresInSeconds, body.Reason!.Trim(), requester, now, DangerousActions.ExpiresAt(now, dangerous.Value.Policy));
        var approval = await approvals.AddAsync(tenantId, draft, cancellationToken);
        FleetLog.ApprovalRequested(log, approval.ApprovalId, requester, approval.Type, approval.Devices, target, approval.ExpiresAt);
        return approval;
    }

    private DateTimeOffset? ExpiresAt(QueueCommandRequest body) => body.ExpiresInSeconds is { } seconds ? time.GetUtcNow().AddSeconds(seconds) : null;

    /// <summary>The request's checks, in the order the REST API has always made them; its valid parameters, or the refusal.</summary>
    private async Task<(Dictionary<string, string>? Parameters, IResult? Refusal)> CheckAsync(string tenantId, QueueCommandRequest body, CancellationToken cancellationToken)
    {
        if (body.Type is { Length: > 0 } given && !DeviceCommandTypes.IsKnown(given))
            return (null, DeviceApi.UnknownCommandType(given));
        var v = new Validation();
        var parameters = Validate(body, v);
        if (v.Valid && body.SiteId is { } named && !await sites.SiteExistsAsync(tenantId, named, cancellationToken))
            v.Add("siteId", $"no site '{named}'");
        return v.Valid ? (parameters, null) : (null, v.Problem());
    }

    /// <summary>Checks a command request into <paramref name="v"/>; returns its valid parameters.</summary>
    private static Dictionary<string, string> Validate(QueueCommandRequest body, Validation v)
    {
        var forGroup = body.Group is not null;
        if (forGroup && body.DeviceId is not null)
            v.Add("group", "give either deviceId or group, not both");
        else if (forGroup)
            v.GroupName("group", body.Group);
        else
            v.RequiredText("deviceId", body.DeviceId);
        if (body.SiteId is not null)
            v.RequiredText("siteId", body.SiteId);
        v.RequiredText("type", body.Type, 64);
        if (body.Reason is { Length: > Validation.MaxText })
            v.Add("reason", $"may be at most {Validation.MaxText.ToString(CultureInfo.InvariantCulture)} characters");
        else if (body.Type is not null && DangerousActions.ReasonProblem(DangerousActions.OfCommand(body.Type, 1, forGroup), body.Reason) is { } problem)
            v.Add("reason", problem);
        v.Range("expiresInSeconds", body.ExpiresInSeconds, 1, Validation.MaxExpirySeconds, required: false);
        var parameters = new Dictionary<string, string>(StringComparer.Ordinal);
        var given = body.Parameters ?? new Dictionary<string, string?>(StringComparer.Ordinal);
        if (given.Count > 100)
            v.Add("parameters", "may hold at most 100 entries");
        foreach (var (key, value) in given)
        {
            if (string.IsNullOrWhiteSpace(key) || key.Length > Validation.MaxText)
                v.Add("parameters", "keys must be non-empty and at most 256 characters");
            else if (value is null || value.Length > 4096)
                v.Add($"parameters.{key}", "must be a string of at most 4096 characters");
            else
                parameters[key] = value;
        }

        foreach (var needed in body.Type is null ? [] : RequiredParameters.GetValueOrDefault(body.Type) ?? [])
        {
            if (string.IsNullOrWhiteSpace(parameters.GetValueOrDefault(needed)))
                v.Add($"parameters.{needed}", $"is required for {body.Type}");
        }

        return parameters;
    }
}

/// <summary>What became of a command to one device: queued, waiting for an approval, or refused (as the REST API answers it).</summary>
public sealed record CommandSent(CommandQueued? Queued, ApprovalRecord? Pending, IResult? Refusal);
