using EdgeMdm.Contracts.Device;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>Commands to devices and groups, their status, and the devices the sites reported.</summary>
internal static class FleetApi
{
    public static RouteGroupBuilder MapFleetApi(this RouteGroupBuilder api)
    {
        api.MapPost("/commands", QueueCommandAsync).RequireAuthorization(HubAuthorization.Operate).NarrowsToSiteScope();
        api.MapGet("/commands/{commandId}", async (string commandId, HttpContext http, ICommandStore commands, CancellationToken ct) =>
            await commands.CommandStatusAsync(HubApi.Tenant(http), commandId, ct) is { } command && HubAuthorization.MayReachSite(http.User, command.SiteId)
                ? TypedResults.Json(command, ApiJson.Default.CommandRecord)
                : Problems.NotFound($"no command '{commandId}'")).RequireAuthorization(HubAuthorization.Read).NarrowsToSiteScope();
        api.MapApprovalApi();
        return api.MapDeviceApi();
    }

    /// <summary>
    /// POST /api/v1/commands: for one device (<c>deviceId</c>, its id or its serial; <c>siteId</c> may be left out when
    /// the hub's device projection knows it at exactly one site: 404 when at none, 409 naming the candidates when at
    /// several) or for a group (every non-retired device of <c>group</c> the hub knows, across sites or in <c>siteId</c>;
    /// 404 when there is none). A site operator must name one of its sites. A <c>type</c> the device agent does not know is refused (422) before anything is queued.
    /// </summary>
    private static async Task<IResult> QueueCommandAsync(HttpContext http, CommandSender sender, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.QueueCommandRequest);
        if (problem is not null)
            return problem;
        // A site operator's command goes through one of its sites, named: the device or group is then looked up there only.
        if (!HubAuthorization.MayReachSite(http.User, body!.SiteId))
        {
            return body.SiteId is null
                ? ProblemResults.Invalid("siteId", "a site operator names the site of its command (--site)")
                : Problems.NoSite(body.SiteId);
        }

        var (tenant, createdBy, requester) = (HubApi.Tenant(http), HubApi.Caller(http).Name, ApprovalDesk.Person(HubApi.Caller(http)));
        var answer = body.Group is not null
            ? await sender.SendToGroupAsync(tenant, createdBy, requester, body, ct)
            : Answer(await sender.SendAsync(tenant, createdBy, requester, body, ct));
        ApprovalApi.DescribeRequest(http, answer, body);
        return answer;
    }

    private static IResult Answer(CommandSent sent) =>
        sent.Refusal
        ?? (sent.Pending is { } pending ? CommandSender.Pending(pending) : TypedResults.Json(sent.Queued!, ApiJson.Default.CommandQueued, statusCode: StatusCodes.Status201Created));
}

/// <summary>A command for one device (<c>DeviceId</c>, <c>SiteId</c> optional when the id is unique) or for a <c>Group</c>.</summary>
public sealed record QueueCommandRequest(
    string? SiteId, string? DeviceId, string? Type, IReadOnlyDictionary<string, string?>? Parameters, long? ExpiresInSeconds,
    string? Group = null, string? Reason = null);

/// <summary>
/// Answer for one device; <c>SiteId</c> is the site the command goes through (found by the hub when not given), and
/// <c>DeviceId</c> the device's id (found by the hub when the request named its serial).
/// </summary>
public sealed record CommandQueued(string CommandId, string? SiteId = null)
{
    public string? DeviceId { get; init; }
}

/// <summary>Answer for a group: one command per device, and the devices in the same order.</summary>
public sealed record CommandsQueued(string Group, IReadOnlyList<string> CommandIds, IReadOnlyList<CommandTarget> Devices);
