using EdgeMdm.Contracts.Device;
using EdgeMdm.ServiceDefaults;

namespace EdgeMdm.Cloud.Fleet;

/// <summary>Commands to devices and groups, their status, and the devices the sites reported.</summary>
internal static class FleetApi
{
    public static RouteGroupBuilder MapFleetApi(this RouteGroupBuilder api)
    {
        api.MapPost("/commands", QueueCommandAsync);
        api.MapGet("/commands/{commandId}", async (string commandId, HttpContext http, ICommandStore commands, CancellationToken ct) =>
            await commands.CommandStatusAsync(HubApi.Tenant(http), commandId, ct) is { } command
                ? TypedResults.Json(command, ApiJson.Default.CommandRecord)
                : Problems.NotFound($"no command '{commandId}'"));
        return api.MapDeviceApi();
    }

    /// <summary>
    /// POST /api/v1/commands: for one device (<c>deviceId</c>, its id or its serial; <c>siteId</c> may be left out when
    /// the hub's device projection knows it at exactly one site: 404 when at none, 409 naming the candidates when at
    /// several) or for a group (every non-retired device of <c>group</c> the hub knows, across sites or in <c>siteId</c>;
    /// 404 when there is none). A <c>type</c> the device agent does not know is refused (422) before anything is queued.
    /// </summary>
    private static async Task<IResult> QueueCommandAsync(
        HttpContext http, ICommandStore commands, IFleetReadStore fleet, ISiteRegistry sites, TimeProvider time, ILoggerFactory loggers, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.QueueCommandRequest);
        if (problem is not null)
            return problem;
        if (body!.Type is { Length: > 0 } given && !DeviceCommandTypes.IsKnown(given))
            return DeviceApi.UnknownCommandType(given);
        var v = new Validation();
        var forGroup = body.Group is not null;
        var parameters = ValidateCommand(body, v);
        var tenant = HubApi.Tenant(http);
        var createdBy = HubApi.Caller(http).Name;
        if (v.Valid && body.SiteId is { } named && !await sites.SiteExistsAsync(tenant, named, ct))
            v.Add("siteId", $"no site '{named}'");
        if (!v.Valid)
            return v.Problem();
        DateTimeOffset? expiresAt = body.ExpiresInSeconds is { } seconds ? time.GetUtcNow().AddSeconds(seconds) : null;
        var reason = body.Reason?.Trim() ?? "";
        var logger = loggers.CreateLogger(typeof(FleetApi).FullName!);
        try
        {
            if (forGroup)
            {
                var devices = await fleet.ListGroupAsync(tenant, body.Group!, body.SiteId, ct);
                if (devices.Count == 0)
                {
                    return Problems.NotFound(body.SiteId is null
                        ? $"the hub knows no device of group '{body.Group}' that is not retired"
                        : $"the hub knows no device of group '{body.Group}' at site '{body.SiteId}' that is not retired");
                }

                var targets = devices.Select(d => new CommandTarget(d.SiteId, d.DeviceId)).ToList();
                var ids = await commands.QueueCommandsAsync(tenant, targets, body.Type!, parameters, expiresAt, createdBy, reason, ct);
                FleetLog.GroupCommandSent(logger, body.Type!, ids.Count, body.Group!, createdBy, reason);
                return TypedResults.Json(new CommandsQueued(body.Group!, ids, targets), ApiJson.Default.CommandsQueued, statusCode: StatusCodes.Status201Created);
            }

            // With a site, a device the hub has not heard of yet is queued as given (the site knows it, or drops the command).
            var (target, refusal) = await DeviceApi.ResolveAsync(fleet, tenant, body.DeviceId!, body.SiteId, unknownAtSiteIsKept: true, ct);
            if (refusal is not null)
                return refusal;

            var (siteId, deviceId) = target is null ? (body.SiteId!, body.DeviceId!) : (target.SiteId, target.DeviceId);
            var commandId = await commands.QueueCommandAsync(tenant, siteId, deviceId, body.Type!, parameters, expiresAt, createdBy, reason, ct);
            FleetLog.CommandSent(logger, commandId, body.Type!, deviceId, siteId, createdBy, reason);
            return TypedResults.Json(new CommandQueued(commandId, siteId) { DeviceId = deviceId }, ApiJson.Default.CommandQueued, statusCode: StatusCodes.Status201Created);
        }
        catch (StoreConflictException)
        {
            return ProblemResults.Invalid("siteId", $"no site '{body.SiteId}'");
        }
    }

    /// <summary>Checks a command request into <paramref name="v"/>; returns its valid parameters.</summary>
    private static Dictionary<string, string> ValidateCommand(QueueCommandRequest body, Validation v)
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
            v.Add("reason", $"may be at most {Validation.MaxText.ToString(System.Globalization.CultureInfo.InvariantCulture)} characters");
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

        return parameters;
    }

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
