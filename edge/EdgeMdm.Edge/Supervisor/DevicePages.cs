using System.Security.Claims;
using EdgeMdm.Contracts.Device;
using EdgeMdm.Domain.Custody;
using EdgeMdm.Domain.Lifecycle;
using EdgeMdm.Domain.Outcomes;
using EdgeMdm.Domain.Security;
using EdgeMdm.Edge.Approvals;
using EdgeMdm.Edge.Commands;
using EdgeMdm.Edge.Cradles;
using EdgeMdm.Edge.Custody;
using EdgeMdm.Edge.Devices;
using EdgeMdm.Edge.Spares;
using EdgeMdm.Edge.Supervisor.Pages;
using EdgeMdm.ServiceDefaults.WebSignIn;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;

using EdgeMdm.ServiceDefaults.WebPages;

namespace EdgeMdm.Edge.Supervisor;

/// <summary>The devices list's search: free text (serial, group, assignment, model) and a lifecycle state.</summary>
public sealed record DeviceSearch(string? Text, DeviceState? State)
{
    public bool Matches(DeviceSummary device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (State is { } state && device.State != state)
            return false;
        if (string.IsNullOrWhiteSpace(Text))
            return true;
        var text = Text.Trim();
        return device.Serial.Contains(text, StringComparison.OrdinalIgnoreCase)
            || device.Group.Contains(text, StringComparison.OrdinalIgnoreCase)
            || device.Model.Contains(text, StringComparison.OrdinalIgnoreCase)
            || (device.Assignment?.Contains(text, StringComparison.OrdinalIgnoreCase) ?? false);
    }
}

/// <summary>Everything the device page shows: what the device reports, its findings, history, commands and custody.</summary>
public sealed record DevicePageModel(
    DeviceDetail Detail,
    DeviceStatus Status,
    SlotView? Slot,
    IReadOnlyList<CommandSummary> Commands,
    IReadOnlyList<CustodyEvent> Custody,
    string? Message,
    string? Error);

/// <summary>The form of an action on a device: what (lock, ring, wipe, quarantine, swap) and why.</summary>
internal sealed class DeviceActionForm
{
    public string? Action { get; set; }

    public string? Reason { get; set; }
}

/// <summary>The devices list, a device's page, and the actions a supervisor or technician takes there.</summary>
internal static class DevicePages
{
    /// <summary>The actions the page offers, and who may take them (wipe: a supervisor only).</summary>
    public static readonly IReadOnlyList<string> Actions = ["lock", "ring", "quarantine", "swap", "wipe"];

    public static void Map(IEndpointRouteBuilder app)
    {
        var pages = app.MapGroup("/devices").AddEndpointFilter<PageHeaders>();
        pages.MapGet("", (HttpContext http, IDeviceQueries devices, string? q, string? state) =>
        {
            var parsed = Enum.TryParse<DeviceState>(state, ignoreCase: true, out var s) ? s : (DeviceState?)null;
            var search = new DeviceSearch(q, parsed);
            var found = devices.ListDevices().Where(search.Matches).Take(500).ToList();
            return new RazorComponentResult<DevicesPage>(new Dictionary<string, object?>(StringComparer.Ordinal)
            {
                ["Devices"] = found, ["Search"] = search, ["User"] = http.User,
            });
        }).RequireAuthorization(SupervisorAccess.View);
        pages.MapGet("/{id}", (HttpContext http, string id, string? message, IServiceProvider services) =>
                Page(http, services, id, StatusCodes.Status200OK, message, null))
            .RequireAuthorization(SupervisorAccess.View);
        pages.MapPost("/{id}/actions", ActAsync).RequireAuthorization(SupervisorAccess.Act).AddEndpointFilter<SameOrigin>();
    }

    private static async Task<IResult> ActAsync(string id, [FromForm] DeviceActionForm form, HttpContext http, IServiceProvider services, TimeProvider clock)
    {
        var action = form.Action ?? "";
        var reason = (form.Reason ?? "").Trim();
        var role = http.User.FindFirst(ClaimTypes.Role)?.Value;
        if (!Actions.Contains(action, StringComparer.Ordinal))
            return Page(http, services, id, StatusCodes.Status400BadRequest, null, $"unknown action '{action}'");
        if (reason.Length is 0 or > 500)
            return Page(http, services, id, StatusCodes.Status400BadRequest, null, "give a reason (up to 500 characters): it goes into the device's history");
        if (string.Equals(action, "wipe", StringComparison.Ordinal) && !SiteUserRoles.MayDestroy(role))
            return Page(http, services, id, StatusCodes.Status403Forbidden, null, "only a supervisor may wipe a device");

        var actor = SupervisorAccess.Actor(http.User);
        var now = clock.GetUtcNow();
        var done = action switch
        {
            "quarantine" => Done(await services.GetRequiredService<IDeviceAdmin>().TransitionAsync(id, DeviceState.Quarantined, actor, reason, now), "quarantined"),
            "swap" => await SwapAsync(services, id, reason, actor, now, http.RequestAborted),
            _ => await RequestAsync(services, id, action, reason, actor, now),
        };
        return done.Refusal is { } refusal
            ? Page(http, services, id, StatusFor(refusal.Kind), null, refusal.Detail)
            : Results.Redirect($"/devices/{Uri.EscapeDataString(id)}?message={Uri.EscapeDataString(done.Value!)}");
    }

    private static async Task<Outcome<string>> SwapAsync(IServiceProvider services, string id, string reason, string actor, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var started = await services.GetRequiredService<ISwaps>().StartAsync(id, reason, wipe: false, actor, now);
        if (started.Value is not { } swap)
            return started.Refusal!;
        var slot = await services.GetRequiredService<ICradleFloor>().PickAsync(swap.ProposedSerial, cancellationToken);
        return slot is null
            ? $"swap {swap.SwapId}: take spare {swap.ProposedSerial} (not in a cradle)"
            : $"swap {swap.SwapId}: take spare {swap.ProposedSerial} from {slot.CradleId} slot {slot.Slot} ({(slot.LedOn ? "its light is on" : "that cradle has no lights")})";
    }

    /// <summary>A command through the rules of dangerous actions: queued, or (a wipe when every wipe needs one) waiting for an approval.</summary>
    private static async Task<Outcome<string>> RequestAsync(IServiceProvider services, string id, string action, string reason, string actor, DateTimeOffset now)
    {
        var request = new CommandRequest(id, null, action, new Dictionary<string, string>(StringComparer.Ordinal), null, reason);
        var outcome = await services.GetRequiredService<ICommandRequests>().RequestAsync(request, actor, now);
        if (outcome.Value is not { } requested)
            return outcome.Refusal!;
        return requested.Pending is { } pending
            ? $"{action} waits for a second supervisor's approval (request {pending.Id}, on the Approvals page)"
            : action + " queued";
    }

    private static Outcome<string> Done<T>(Outcome<T> outcome, string what)
        where T : class => outcome.Refusal is { } refusal ? new Outcome<string>(null, refusal) : new Outcome<string>(what, null);

    private static int StatusFor(RefusalKind kind) => kind switch
    {
        RefusalKind.NotFound => StatusCodes.Status404NotFound,
        RefusalKind.Forbidden => StatusCodes.Status403Forbidden,
        RefusalKind.Unprocessable => StatusCodes.Status422UnprocessableEntity,
        _ => StatusCodes.Status409Conflict,
    };

    private static IResult Page(HttpContext http, IServiceProvider services, string id, int status, string? message, string? error)
    {
        var queries = services.GetRequiredService<IDeviceQueries>();
        if (queries.Device(id) is not { } detail || queries.Find(id) is not { } record)
            return Results.Problem(statusCode: StatusCodes.Status404NotFound, title: "Unknown device", detail: $"no device {id} at this site");
        var model = new DevicePageModel(
            detail,
            record.ParsedStatus(),
            services.GetRequiredService<ICradleFloor>().SlotOf(detail.Device.Serial),
            services.GetRequiredService<ICommandStore>().ListCommands(detail.Device.DeviceId).OrderByDescending(c => c.CreatedAt).Take(50).ToList(),
            services.GetRequiredService<ICustodyDesk>().Show(detail.Device.DeviceId)?.Events ?? [],
            message is { Length: <= 300 } ? message : null,
            error);
        return new RazorComponentResult<DevicePage>(new Dictionary<string, object?>(StringComparer.Ordinal) { ["Model"] = model, ["User"] = http.User })
        {
            StatusCode = status,
        };
    }
}
