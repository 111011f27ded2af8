using System.Globalization;
using EdgeMdm.Cloud.WebConsole.Pages;
using EdgeMdm.Contracts.Device;
using EdgeMdm.ServiceDefaults.WebPages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Mvc;

namespace EdgeMdm.Cloud.WebConsole;

/// <summary>
/// The device page's "send a command" form (field names as its inputs): the type, why (required: it goes into the
/// command and the log), the parameters the types that take one need, and how long it may wait to be delivered.
/// </summary>
public sealed class ConsoleCommandForm
{
    /// <summary>The form's parameter fields, by the command types that take them (the agent's parameter names).</summary>
    public static IReadOnlyDictionary<string, string> ParameterOf { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [DeviceCommandTypes.ClearAppData] = "packageName",
        [DeviceCommandTypes.RetryStagingStep] = "step",
    };

    /// <summary>The delivery windows the form offers, in seconds (empty: no expiry), with their labels.</summary>
    public static IReadOnlyList<(string Seconds, string Label)> Expiries { get; } =
        [("", "never"), ("3600", "1 hour"), ("28800", "8 hours"), ("86400", "1 day"), ("604800", "7 days")];

    public string? Type { get; set; }

    public string? Reason { get; set; }

    public string? PackageName { get; set; }

    public string? Step { get; set; }

    public string? ExpiresInSeconds { get; set; }

    /// <summary>
    /// The REST API's request for this device, with the parameter of the chosen type only (a field of another type's
    /// is not sent); null when the expiry is not a number.
    /// </summary>
    public QueueCommandRequest? Request(string siteId, string deviceId)
    {
        long? expires = null;
        if (!string.IsNullOrWhiteSpace(ExpiresInSeconds))
        {
            if (!long.TryParse(ExpiresInSeconds, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
                return null;
            expires = seconds;
        }

        var type = Type?.Trim();
        var parameters = new Dictionary<string, string?>(StringComparer.Ordinal);
        if (type is not null && ParameterOf.TryGetValue(type, out var name) && (string.Equals(name, "packageName", StringComparison.Ordinal) ? PackageName : Step) is { } value && value.Trim().Length > 0)
            parameters[name] = value.Trim();
        return new QueueCommandRequest(siteId, deviceId, type, parameters, expires, Group: null, Reason: Reason?.Trim());
    }
}

/// <summary>
/// One device of the tenant (<c>/devices/{siteId}/{deviceId}</c>): what it reports, its findings, lifecycle, commands
/// and custody; and sending it a command with the checks and store call of <c>POST /api/v1/commands</c>.
/// </summary>
internal static partial class DevicePages
{
    public static void Map(RouteGroupBuilder pages)
    {
        pages.MapGet("/devices/{siteId}/{deviceId}", (string siteId, string deviceId, string? sent, HttpContext http, CancellationToken ct) =>
            PageAsync(http, siteId, deviceId, StatusCodes.Status200OK, sent, null, null, ct));
        pages.MapPost("/devices/{siteId}/{deviceId}/commands", SendAsync).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> SendAsync(
        string siteId, string deviceId, [FromForm] ConsoleCommandForm form, HttpContext http, CommandSender sender, ILogger<ConsoleCommandForm> log, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        var actor = ConsoleAccess.Actor(http.User);
        // The device first: an unknown one, or another tenant's, is not found whatever the form says.
        if (await FindAsync(http, tenant, siteId, deviceId, ct) is null)
            return NotFound(http, siteId, deviceId);

        var request = form.Request(siteId, deviceId);
        var error = request is null ? "expiresInSeconds must be a number of seconds"
            : string.IsNullOrEmpty(request.Reason) ? "give a reason: it goes with the command into the device's record and the hub's log"
            : null;
        var status = StatusCodes.Status422UnprocessableEntity;
        if (error is null)
        {
            var sent = await sender.SendAsync(tenant, actor, Fleet.ApprovalDesk.Account(http.User.Identity?.Name ?? actor), request!, ct);
            if (sent.Queued is { } queued)
            {
                LogSent(log, actor, request!.Type!, deviceId, siteId, queued.CommandId, request.Reason!);
                return Results.Redirect(ConsoleLinks.Device(siteId, deviceId) + "?sent=" + Uri.EscapeDataString(queued.CommandId) + "#commands-h");
            }

            if (sent.Pending is { } pending)
            {
                // A wipe when every wipe needs a second person: the request is what was made, and the approvals page shows it.
                Audit.AuditFilter.Describe(http, Domain.Audit.AuditActions.ApprovalRequested, pending.ApprovalId, $"{pending.Type} ({pending.Target}): {pending.Reason}");
                return Results.Redirect("/approvals?requested=" + Uri.EscapeDataString(pending.ApprovalId));
            }

            (status, error) = ConsoleRefusals.Explain(sent.Refusal!);
        }

        LogRefused(log, actor, form.Type ?? "", deviceId, siteId, error);
        return await PageAsync(http, siteId, deviceId, status, null, form, error, ct);
    }

    private static async Task<DeviceRecord?> FindAsync(HttpContext http, string tenant, string siteId, string deviceId, CancellationToken ct) =>
        (await http.RequestServices.GetRequiredService<IFleetReadStore>().FindDeviceAsync(tenant, deviceId, ct))
            .FirstOrDefault(d => string.Equals(d.SiteId, siteId, StringComparison.Ordinal) && string.Equals(d.DeviceId, deviceId, StringComparison.Ordinal));

    private static Microsoft.AspNetCore.Http.HttpResults.RazorComponentResult<NotFoundPage> NotFound(HttpContext http, string siteId, string deviceId) =>
        ConsoleRefusals.NotFound(http, $"There is no device '{deviceId}' at site '{siteId}' in your tenant.");

    private static async Task<IResult> PageAsync(
        HttpContext http, string siteId, string deviceId, int status, string? sent, ConsoleCommandForm? form, string? error, CancellationToken ct)
    {
        var tenant = ConsoleAccess.Tenant(http.User);
        if (await FindAsync(http, tenant, siteId, deviceId, ct) is not { } stored)
            return NotFound(http, siteId, deviceId);
        var services = http.RequestServices;
        var fleet = services.GetRequiredService<IFleetReadStore>();
        var custody = services.GetRequiredService<ICustodyStore>();
        var device = (await services.GetRequiredService<DeviceViews>().ViewsAsync(tenant, [stored], ct))[0];
        var site = (await services.GetRequiredService<ISiteRegistry>().ListSitesAsync(tenant, ct)).FirstOrDefault(s => string.Equals(s.SiteId, siteId, StringComparison.Ordinal));
        var commands = await services.GetRequiredService<ICommandStore>().ListCommandsAsync(tenant, new CommandQuery(siteId, deviceId, Limit: 50), ct);
        var model = new ConsoleDevice(
            device,
            site?.Name ?? siteId,
            DeviceViews.Status(device.StatusJson),
            await fleet.ListTransitionsAsync(tenant, siteId, deviceId, ct),
            commands,
            await custody.EventsAsync(tenant, siteId, deviceId, null, null, ct) ?? [],
            await custody.VerifyAsync(tenant, siteId, deviceId, ct));
        var sentCommand = sent is null ? null : commands.Commands.FirstOrDefault(c => string.Equals(c.CommandId, sent, StringComparison.Ordinal));
        return ConsolePages.RenderWithStatus<DevicePage>(http, status, ("Model", model), ("Sent", sentCommand), ("Form", form), ("Error", error));
    }

    [LoggerMessage(EventId = 2310, Level = LogLevel.Information, Message = "Console: {Actor} sent {Type} to device {DeviceId} at site {SiteId} (command {CommandId}): {Reason}")]
    private static partial void LogSent(ILogger log, string actor, string type, string deviceId, string siteId, string commandId, string reason);

    [LoggerMessage(EventId = 2311, Level = LogLevel.Warning, Message = "Console: {Actor}'s command {Type} for device {DeviceId} at site {SiteId} was refused: {Why}")]
    private static partial void LogRefused(ILogger log, string actor, string type, string deviceId, string siteId, string why);
}

/// <summary>Everything a device's page shows: the device as the REST API reads it, and what happened to it.</summary>
public sealed record ConsoleDevice(
    DeviceRecord Device,
    string SiteName,
    DeviceStatus Status,
    IReadOnlyList<TransitionRecord> History,
    CommandList Commands,
    IReadOnlyList<CustodyEventView> Custody,
    CustodyVerificationView? CustodyVerdict);
