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
        api.MapGet("/devices", ListDevicesAsync);
        return api;
    }

    /// <summary>
    /// POST /api/v1/commands: for one device (<c>deviceId</c>; <c>siteId</c> may be left out when the hub's device
    /// projection knows the id at exactly one site: 404 when at none, 409 when at several) or for a group (every
    /// non-retired device of <c>group</c> the hub knows, across sites or in <c>siteId</c>; 404 when there is none).
    /// </summary>
    private static async Task<IResult> QueueCommandAsync(
        HttpContext http, ICommandStore commands, IFleetReadStore fleet, ISiteRegistry sites, TimeProvider time, CancellationToken ct)
    {
        var (body, problem) = await JsonBody.ReadAsync(http.Request, ApiJson.Default.QueueCommandRequest);
        if (problem is not null)
            return problem;
        var v = new Validation();
        var forGroup = body!.Group is not null;
        var parameters = ValidateCommand(body, v);
        var tenant = HubApi.Tenant(http);
        var createdBy = HubApi.Caller(http).Name;
        if (v.Valid && body.SiteId is { } named && !await sites.SiteExistsAsync(tenant, named, ct))
            v.Add("siteId", $"no site '{named}'");
        if (!v.Valid)
            return v.Problem();
        DateTimeOffset? expiresAt = body.ExpiresInSeconds is { } seconds ? time.GetUtcNow().AddSeconds(seconds) : null;
        var reason = body.Reason?.Trim() ?? "";
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
                return TypedResults.Json(new CommandsQueued(body.Group!, ids, targets), ApiJson.Default.CommandsQueued, statusCode: StatusCodes.Status201Created);
            }

            var siteId = body.SiteId;
            if (siteId is null)
            {
                var found = await fleet.FindDeviceAsync(tenant, body.DeviceId!, ct);
                if (found.Count == 0)
                    return Problems.NotFound($"the hub knows no device '{body.DeviceId}'; give its siteId to queue the command anyway");
                if (found.Count > 1)
                    return Problems.Conflict($"device '{body.DeviceId}' is known at several sites ({string.Join(", ", found.Select(d => d.SiteId))}); give siteId");
                siteId = found[0].SiteId;
            }

            var commandId = await commands.QueueCommandAsync(tenant, siteId, body.DeviceId!, body.Type!, parameters, expiresAt, createdBy, reason, ct);
            return TypedResults.Json(new CommandQueued(commandId, siteId), ApiJson.Default.CommandQueued, statusCode: StatusCodes.Status201Created);
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

    private static async Task<IResult> ListDevicesAsync(string? site, HttpContext http, ISiteRegistry sites, IFleetReadStore fleet, CancellationToken ct)
    {
        var tenant = HubApi.Tenant(http);
        if (site is not null && !await sites.SiteExistsAsync(tenant, site, ct))
            return Problems.NoSite(site);
        return TypedResults.Json((await fleet.ListDevicesAsync(tenant, site, ct)).ToList(), ApiJson.Default.ListDeviceRecord);
    }
}

/// <summary>A command for one device (<c>DeviceId</c>, <c>SiteId</c> optional when the id is unique) or for a <c>Group</c>.</summary>
public sealed record QueueCommandRequest(
    string? SiteId, string? DeviceId, string? Type, IReadOnlyDictionary<string, string?>? Parameters, long? ExpiresInSeconds,
    string? Group = null, string? Reason = null);

/// <summary>Answer for one device; <c>SiteId</c> is the site the command goes through (found by the hub when not given).</summary>
public sealed record CommandQueued(string CommandId, string? SiteId = null);

/// <summary>Answer for a group: one command per device, and the devices in the same order.</summary>
public sealed record CommandsQueued(string Group, IReadOnlyList<string> CommandIds, IReadOnlyList<CommandTarget> Devices);
